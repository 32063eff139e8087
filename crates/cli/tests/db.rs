//! `privgraph db …` and `--data DIR`, driven as processes against real stores: every
//! command, its output and its exit codes as `docs/cli.md` gives them: 0 success; `init`
//! 1 invalid snapshot, 4 the directory already holds a store; every `db` command 2 bad
//! arguments or unreadable input, 3 not a store or a failed integrity check, 5 locked by
//! another writer. A store held by a writer in this test process stands for a server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use privgraph::graph::{
    Author, Batch, Change, CommittedBatch, EntityKind, Graph, MemberType, TargetKind,
};
use privgraph::privileges::HandleServicePrivileges as HS;
use privgraph::snapshot::{self, Snapshot};
use privgraph_store::{Config, Store};
use serde_json::Value;

/// The tests of this file run one at a time: a child forked by one test holds copies
/// of the parent's open files until it execs, a store's lock file held by another test
/// included, which could make that test's next writer find its store locked.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_privgraph"))
        .args(args)
        .output()
        .expect("the privgraph binary runs");
    Run {
        code: status.code().expect("an exit code"),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

fn s(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A snapshot, canonical: what "the same entities and relations" compares.
fn canonical(json: &str) -> Snapshot {
    let mut snapshot = Snapshot::from_json(json).expect("a snapshot");
    snapshot.canonicalize();
    snapshot
}

/// Every snapshot the repository's tests and documents hold: the snapshot fuzz corpus,
/// the `snapshot` of every scenario in `examples/`, the snapshots written inline in the
/// tests, and every JSON block of the docs that is a snapshot or a scenario. Each as
/// (where, text).
fn snapshot_files() -> Vec<(String, String)> {
    fn sorted(dir: &Path) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        paths.sort();
        paths
    }
    let mut found = Vec::new();
    // The corpus keeps every file, valid or not, as it is.
    for path in sorted(&repo().join("fuzz/corpus/snapshot")) {
        found.push((s(&path), std::fs::read_to_string(&path).unwrap()));
    }
    for path in sorted(&repo().join("examples")) {
        if path.extension().is_some_and(|e| e == "json") {
            let scenario: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            found.push((s(&path), scenario["snapshot"].to_string()));
        }
    }
    // Snapshots written inline in the tests, as raw strings.
    for dir in ["tests", "crates/cli/tests", "crates/store/tests"] {
        for path in sorted(&repo().join(dir)) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (n, piece) in text.split("r#\"{\"version\"").skip(1).enumerate() {
                let body = piece.split("\"#").next().unwrap_or_default();
                found.push((
                    format!("{} string {n}", path.display()),
                    format!("{{\"version\"{body}"),
                ));
            }
        }
    }
    for path in sorted(&repo().join("docs")) {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, block) in text.split("```json\n").skip(1).enumerate() {
            let block = block.split("```").next().unwrap_or_default();
            let Ok(value) = serde_json::from_str::<Value>(block) else {
                continue;
            };
            let snapshot = match value.get("snapshot") {
                Some(snapshot) => snapshot.to_string(),
                None if value.get("version").is_some() => block.to_owned(),
                None => continue,
            };
            found.push((format!("{} block {n}", path.display()), snapshot));
        }
    }
    found
}

#[test]
fn init_from_every_snapshot_of_the_repository_then_export_gives_the_same_graph() {
    let _serial = one_at_a_time();
    let files = snapshot_files();
    let root = tempfile::tempdir().unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for (n, (name, text)) in files.iter().enumerate() {
        let file = root.path().join(format!("s{n}.json"));
        std::fs::write(&file, text).unwrap();
        let dir = root.path().join(format!("store{n}"));
        let init = run(&["db", "init", &s(&dir), "--from", &s(&file)]);
        match snapshot::load(text) {
            Ok(_) => {
                assert_eq!(init.code, 0, "{name}: {init:?}");
                assert_eq!(init.stdout, "{\"revision\":0}\n", "{name}");
                let export = run(&["db", "export", &s(&dir)]);
                assert_eq!(export.code, 0, "{name}: {export:?}");
                assert_eq!(
                    canonical(export.stdout.trim_end()),
                    canonical(text),
                    "{name}"
                );
                valid += 1;
            }
            Err(err) => {
                assert_eq!(init.code, 1, "{name} ({err}): {init:?}");
                assert!(init.stderr.contains(&s(&file)), "{name}: {init:?}");
                assert!(!dir.join("privgraph.sqlite").exists(), "{name}");
                invalid += 1;
            }
        }
    }
    // The corpus, the seeds scenario and the docs' examples: both kinds are there.
    assert!(
        valid >= 20 && invalid >= 10,
        "{valid} valid, {invalid} invalid of {files:?}"
    );
    assert!(files.iter().any(|(name, _)| name.ends_with("seeds.json")));
    assert!(
        files
            .iter()
            .any(|(name, _)| name.contains("snapshot-format.md"))
    );
}

const START: &str = r#"{"version": 1, "users": [{"id": "alice"}, {"id": "bob"}],
    "groups": [{"id": "team", "users": {"bob": []}}],
    "handleServices": [{"id": "hs1", "users": {"alice": ["handle_service_update"]},
                        "groups": {"team": ["handle_service_view"]}}]}"#;

/// A store made by `db init --from` START.
fn new_store(root: &Path) -> PathBuf {
    let file = root.join("start.json");
    std::fs::write(&file, START).unwrap();
    let dir = root.join("store");
    let init = run(&["db", "init", &s(&dir), "--from", &s(&file)]);
    assert_eq!(init.code, 0, "{init:?}");
    dir
}

fn grant(service: &str, group: &str, privileges: HS) -> Batch {
    Batch::new(
        Author::Library,
        vec![Change::SetMemberPrivileges {
            kind: TargetKind::HandleService,
            id: service.into(),
            member_type: MemberType::Group,
            member_id: group.into(),
            privileges: privileges.into(),
        }],
    )
}

fn user(id: &str) -> Batch {
    Batch::new(
        Author::Root,
        vec![Change::Create {
            kind: EntityKind::User,
            id: id.into(),
        }],
    )
}

#[test]
fn init_refuses_a_store_a_busy_directory_and_bad_snapshots_with_their_codes() {
    let _serial = one_at_a_time();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("empty");
    let init = run(&["db", "init", &s(&dir)]);
    assert_eq!(
        (init.code, init.stdout.as_str()),
        (0, "{\"revision\":0}\n"),
        "{init:?}"
    );
    let export = run(&["db", "export", &s(&dir)]);
    assert_eq!(canonical(&export.stdout), canonical(r#"{"version": 1}"#));

    let again = run(&["db", "init", &s(&dir)]);
    assert_eq!(again.code, 4, "{again:?}");
    assert!(
        again.stderr.contains("already holds a privgraph store"),
        "{again:?}"
    );

    std::fs::write(root.path().join("notes.txt"), "mine").unwrap();
    let busy = run(&["db", "init", &s(root.path())]);
    assert_eq!(busy.code, 2, "{busy:?}");
    assert!(busy.stderr.contains("not empty"), "{busy:?}");

    let other = root.path().join("other");
    let missing = run(&[
        "db",
        "init",
        &s(&other),
        "--from",
        &s(&root.path().join("nope.json")),
    ]);
    assert_eq!(missing.code, 2, "{missing:?}");
    let binary = root.path().join("binary.json");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    let bad = run(&["db", "init", &s(&other), "--from", &s(&binary)]);
    assert_eq!(bad.code, 1, "{bad:?}");
    let cycle = root.path().join("cycle.json");
    std::fs::write(
        &cycle,
        r#"{"version": 1, "groups": [{"id": "a", "children": {"b": []}}, {"id": "b", "children": {"a": []}}]}"#,
    )
    .unwrap();
    let invalid = run(&["db", "init", &s(&other), "--from", &s(&cycle)]);
    assert_eq!(invalid.code, 1, "{invalid:?}");
    assert!(invalid.stderr.contains("cycle"), "{invalid:?}");
    assert!(!other.join("privgraph.sqlite").exists());
    let no_dir = run(&["db", "init"]);
    assert_eq!(no_dir.code, 2, "{no_dir:?}");
}

/// The `text` blocks of `docs/cli.md`, in order.
fn doc_text_blocks() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("docs/cli.md")).unwrap();
    text.split("```text\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_log_line_the_docs_show_is_a_batch_line_as_log_prints_it() {
    let _serial = one_at_a_time();
    let shown = &doc_text_blocks()[1];
    let batch: CommittedBatch = serde_json::from_str(shown).expect("a batch line");
    assert_eq!(batch.revision, 7);
    assert_eq!(serde_json::to_string(&batch).unwrap() + "\n", *shown);
}

#[test]
fn log_prints_one_line_per_batch_after_since_and_compact_checkpoints_the_head() {
    let _serial = one_at_a_time();
    let root = tempfile::tempdir().unwrap();
    let dir = new_store(root.path());
    let store = Store::open(&dir, Config::default()).unwrap();
    store
        .handle()
        .commit(grant("hs1", "team", HS::HANDLE_SERVICE_UPDATE))
        .unwrap();
    store.handle().commit(user("carol")).unwrap();
    store
        .handle()
        .commit(Batch::new(Author::User("alice".into()), vec![]))
        .unwrap();
    drop(store);

    let log = run(&["db", "log", &s(&dir)]);
    assert_eq!(log.code, 0, "{log:?}");
    let lines: Vec<Value> = log
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (n, (line, text)) in lines.iter().zip(log.stdout.lines()).enumerate() {
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 5, "{text}");
        // The line's own key order (a parsed map would sort them).
        let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap_or(usize::MAX);
        let order: Vec<usize> = ["format", "revision", "by", "at", "changes"]
            .iter()
            .map(|k| at(k))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(line["format"], 1);
        assert_eq!(line["revision"], n as u64 + 1);
    }
    assert_eq!(lines[0]["by"], "library");
    assert_eq!(lines[1]["by"], "root");
    assert_eq!(lines[2]["by"], "user:alice");
    assert_eq!(
        lines[0]["changes"],
        serde_json::json!([{"op": "setMemberPrivileges", "kind": "handle_service", "id": "hs1",
            "memberType": "group", "memberId": "team", "privileges": ["handle_service_update"]}])
    );
    let at = lines[1]["at"].as_str().unwrap();
    assert!(at.parse::<privgraph::graph::Timestamp>().is_ok(), "{at}");

    let since = run(&["db", "log", &s(&dir), "--since", "2"]);
    assert_eq!(
        since.stdout.lines().collect::<Vec<_>>(),
        log.stdout.lines().skip(2).collect::<Vec<_>>()
    );
    let none = run(&["db", "log", &s(&dir), "--since", "3"]);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""));
    let bad = run(&["db", "log", &s(&dir), "--since", "-1"]);
    assert_eq!(bad.code, 2, "{bad:?}");

    let compact = run(&["db", "compact", &s(&dir)]);
    assert_eq!(
        (compact.code, compact.stdout.as_str()),
        (0, "{\"revision\":3}\n"),
        "{compact:?}"
    );
    // The log is whole after a checkpoint, and the head is the same.
    assert_eq!(run(&["db", "log", &s(&dir)]).stdout, log.stdout);
    let export = run(&["db", "export", &s(&dir)]);
    let head = Snapshot::from_json(export.stdout.trim_end()).unwrap();
    assert_eq!(head.users.len(), 3);
    assert_eq!(
        head.handle_services[0].groups["team"],
        HS::HANDLE_SERVICE_UPDATE
    );
}

#[test]
fn a_second_writer_exits_5_while_readers_and_backups_work() {
    let _serial = one_at_a_time();
    let root = tempfile::tempdir().unwrap();
    let dir = new_store(root.path());
    let store = Store::open(&dir, Config::default()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|t| {
            let handle = store.handle();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    handle.commit(user(&format!("w{t}-{n}"))).unwrap();
                    n += 1;
                }
            })
        })
        .collect();
    while store.revision() < 10 {
        std::thread::yield_now();
    }
    let compact = run(&["db", "compact", &s(&dir)]);
    assert_eq!(compact.code, 5, "{compact:?}");
    assert!(
        compact.stderr.contains("locked by another writer"),
        "{compact:?}"
    );
    // Every reading command works while the writer writes.
    let export = run(&["db", "export", &s(&dir)]);
    assert_eq!(export.code, 0, "{export:?}");
    let log = run(&["db", "log", &s(&dir)]);
    assert_eq!(log.code, 0, "{log:?}");
    let check = run(&[
        "check",
        "--data",
        &s(&dir),
        "--user",
        "bob",
        "--handle-service",
        "hs1",
        "--privilege",
        "handle_service_view",
    ]);
    assert_eq!(
        (check.code, check.stdout.as_str()),
        (0, "allow\n"),
        "{check:?}"
    );
    let copy = root.path().join("copy");
    let backup = run(&["db", "backup", &s(&dir), &s(&copy)]);
    assert_eq!(backup.code, 0, "{backup:?}");
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let head = store.revision();
    drop(store);

    // The backup is a store at its revision: the original's history cut there.
    let revision = serde_json::from_str::<Value>(&backup.stdout).unwrap()["revision"]
        .as_u64()
        .unwrap();
    assert!((10..=head).contains(&revision), "{revision} of {head}");
    let all = run(&["db", "log", &s(&dir)]).stdout;
    let copied = run(&["db", "log", &s(&copy)]).stdout;
    let cut: Vec<&str> = all.lines().take(revision as usize).collect();
    assert_eq!(copied.lines().collect::<Vec<_>>(), cut);
    let mut expected: Graph = snapshot::load(START).unwrap();
    for line in cut {
        expected
            .apply_committed(&serde_json::from_str::<CommittedBatch>(line).unwrap())
            .unwrap();
    }
    let exported = run(&["db", "export", &s(&copy)]).stdout;
    assert_eq!(
        canonical(exported.trim_end()),
        canonical(&snapshot::save(&expected))
    );
    let onto_store = run(&["db", "backup", &s(&dir), &s(&copy)]);
    assert_eq!(onto_store.code, 2, "{onto_store:?}");
}

#[test]
fn init_of_a_locked_directory_exits_5() {
    let _serial = one_at_a_time();
    let root = tempfile::tempdir().unwrap();
    let dir = new_store(root.path());
    let _writer = Store::open(&dir, Config::default()).unwrap();
    let init = run(&["db", "init", &s(&dir)]);
    assert_eq!(init.code, 5, "{init:?}");
}

#[test]
fn every_db_command_exits_3_on_a_directory_that_is_not_a_store_or_fails_its_check() {
    let _serial = one_at_a_time();
    let root = tempfile::tempdir().unwrap();
    let nothing = root.path().join("nothing");
    let copy = s(&root.path().join("copy"));
    for dir in [s(root.path()), s(&nothing)] {
        for args in [
            vec!["db", "export", &dir],
            vec!["db", "log", &dir],
            vec!["db", "compact", &dir],
            vec!["db", "backup", &dir, &copy],
        ] {
            let out = run(&args);
            assert_eq!(out.code, 3, "{args:?}: {out:?}");
            assert!(out.stderr.contains("is not a privgraph store"), "{out:?}");
        }
    }

    let dir = new_store(root.path());
    let store = Store::open(&dir, Config::default()).unwrap();
    for n in 0..5 {
        store.handle().commit(user(&format!("marked-{n}"))).unwrap();
    }
    drop(store);
    let db = dir.join("privgraph.sqlite");
    let mut bytes = std::fs::read(&db).unwrap();
    let at = bytes
        .windows(10)
        .position(|w| w == b"\"marked-3\"")
        .expect("the batch is in the file");
    bytes[at + 4] ^= 0x02;
    std::fs::write(&db, bytes).unwrap();
    // What the docs show is what a damaged store gives.
    let export = run(&["db", "export", &s(&dir)]);
    assert_eq!(export.stderr, doc_text_blocks()[2], "{export:?}");
    for args in [
        vec!["db".to_owned(), "export".into(), s(&dir)],
        vec!["db".into(), "log".into(), s(&dir)],
        vec!["db".into(), "compact".into(), s(&dir)],
        vec!["db".into(), "backup".into(), s(&dir), copy.clone()],
    ] {
        let out = run(&args);
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("integrity check at revision 4"),
            "{out:?}"
        );
    }
    // `check` and `explain` read the same store: invalid content, exit 1 (3 is `deny` there).
    let check = run(&[
        "check",
        "--data",
        &s(&dir),
        "--user",
        "bob",
        "--handle-service",
        "hs1",
        "--privilege",
        "handle_service_view",
    ]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("revision 4"), "{check:?}");
}

#[test]
fn check_and_explain_read_a_store_wherever_they_read_a_snapshot() {
    let _serial = one_at_a_time();
    let root = tempfile::tempdir().unwrap();
    let dir = new_store(root.path());
    let store = Store::open(&dir, Config::default()).unwrap();
    store
        .handle()
        .commit(grant("hs1", "team", HS::HANDLE_SERVICE_REGISTER_HANDLE))
        .unwrap();
    drop(store);
    let question = |command: &str, source: &str, path: &str, privilege: &str| {
        run(&[
            command,
            source,
            path,
            "--user",
            "bob",
            "--handle-service",
            "hs1",
            "--privilege",
            privilege,
        ])
    };
    let data = s(&dir);
    // The store's head, not its starting snapshot: view was replaced by register.
    let view = question("check", "--data", &data, "handle_service_view");
    assert_eq!((view.code, view.stdout.as_str()), (3, "deny\n"), "{view:?}");
    let register = question("check", "--data", &data, "handle_service_register_handle");
    assert_eq!(
        (register.code, register.stdout.as_str()),
        (0, "allow\n"),
        "{register:?}"
    );
    let explain = question("explain", "--data", &data, "handle_service_register_handle");
    assert_eq!(explain.code, 0, "{explain:?}");
    assert_eq!(
        serde_json::from_str::<Value>(explain.stdout.trim_end()).unwrap(),
        serde_json::json!({"path": ["bob", "team", "hs1"], "privileges": ["handle_service_register_handle"]})
    );
    let denied = question("explain", "--data", &data, "handle_service_view");
    assert_eq!(denied.code, 3, "{denied:?}");

    let queries = root.path().join("queries.jsonl");
    std::fs::write(
        &queries,
        "{\"user\": \"bob\", \"kind\": \"handle_service\", \"id\": \"hs1\", \"privilege\": \"handle_service_register_handle\"}\n\
         {\"user\": \"alice\", \"kind\": \"handle_service\", \"id\": \"hs1\", \"privilege\": \"handle_service_view\"}\n",
    )
    .unwrap();
    let batch = run(&["check", "--data", &data, "--batch", &s(&queries)]);
    assert_eq!(
        (batch.code, batch.stdout.as_str()),
        (0, "allow\ndeny\n"),
        "{batch:?}"
    );

    // `check --operation` decides a request against the store's head too.
    let operation = |user: &str| {
        run(&[
            "check",
            "--data",
            &data,
            "--user",
            user,
            "--operation",
            "PATCH /handle_services/hs1/groups/team/privileges",
            "--body",
            r#"{"grant": ["handle_service_view"]}"#,
        ])
    };
    let alice = operation("alice");
    assert_eq!(
        (alice.code, alice.stdout.as_str()),
        (0, "allow\n"),
        "{alice:?}"
    );
    let bob = operation("bob");
    assert_eq!((bob.code, bob.stdout.as_str()), (3, "deny\n"), "{bob:?}");

    let start = root.path().join("start.json");
    let both = question("check", "--data", &data, "handle_service_view");
    assert_eq!(both.code, 3);
    let both = run(&[
        "check",
        "--data",
        &data,
        "--snapshot",
        &s(&start),
        "--user",
        "bob",
        "--handle-service",
        "hs1",
        "--privilege",
        "handle_service_view",
    ]);
    assert_eq!(both.code, 2, "{both:?}");
    let neither = run(&[
        "check",
        "--user",
        "bob",
        "--handle-service",
        "hs1",
        "--privilege",
        "handle_service_view",
    ]);
    assert_eq!(neither.code, 2, "{neither:?}");
    let not_a_store = question("check", "--data", &s(root.path()), "handle_service_view");
    assert_eq!(not_a_store.code, 2, "{not_a_store:?}");
    assert!(
        not_a_store.stderr.contains("not a privgraph store"),
        "{not_a_store:?}"
    );
}
