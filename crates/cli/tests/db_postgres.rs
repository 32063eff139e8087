//! `privgraph db … --postgres URL` and `--postgres` for `check`, driven as processes
//! against a throwaway PostgreSQL cluster: the same outputs and exit codes as for a
//! store directory (0 success; `init` 1 invalid snapshot, 4 the database already holds
//! a store; 2 bad arguments or an unreachable server, 3 not a store or a failed
//! integrity check).

use std::process::Command;

use privgraph::graph::{Author, Batch, Change, CommittedBatch, EntityKind};
use privgraph_store::postgres::{Replica, ReplicaConfig};
use privgraph_testpg::Cluster;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_privgraph"))
        .args(args)
        .output()
        .expect("the privgraph binary runs");
    Run {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

const SNAPSHOT: &str = r#"{"version": 1, "users": [{"id": "u1"}],
    "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}]}"#;

#[test]
fn db_commands_on_a_postgres_store_print_and_exit_as_on_a_directory() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.create_database("cli");
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("s.json");
    std::fs::write(&snapshot, SNAPSHOT).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"version": 1, "groups": [{"id": "g1", "users": {"nobody": []}}]}"#,
    )
    .unwrap();

    // Not a store yet: export and log exit 3.
    let export = run(&["db", "export", "--postgres", &url]);
    assert_eq!(export.code, 3, "{}", export.stderr);
    assert!(
        export.stderr.contains("holds no privgraph store"),
        "{}",
        export.stderr
    );
    // An invalid snapshot: 1, and nothing created.
    assert_eq!(
        run(&[
            "db",
            "init",
            "--postgres",
            &url,
            "--from",
            bad.to_str().unwrap()
        ])
        .code,
        1
    );
    let init = run(&[
        "db",
        "init",
        "--postgres",
        &url,
        "--from",
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(
        (init.code, init.stdout.as_str()),
        (0, "{\"revision\":0}\n"),
        "{}",
        init.stderr
    );
    let again = run(&["db", "init", "--postgres", &url]);
    assert_eq!(again.code, 4, "{}", again.stderr);

    let replica = Replica::open(&url, ReplicaConfig::default()).unwrap();
    for id in ["u2", "u3"] {
        let create = Change::Create {
            kind: EntityKind::User,
            id: id.into(),
        };
        replica
            .handle()
            .commit(Batch::new(Author::Library, vec![create]))
            .unwrap();
    }
    // Read while the replica runs.
    let export = run(&["db", "export", "--postgres", &url]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    let exported = privgraph::snapshot::load(&export.stdout).unwrap();
    assert_eq!(exported, *replica.reader().read());
    let log = run(&["db", "log", "--postgres", &url, "--since", "1"]);
    assert_eq!(log.code, 0, "{}", log.stderr);
    let lines: Vec<CommittedBatch> = log
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].revision, 2);
    assert!(
        log.stdout
            .starts_with(r#"{"format":1,"revision":2,"by":"library","#)
    );
    let check = [
        "check",
        "--postgres",
        &url,
        "--user",
        "u1",
        "--group",
        "g1",
        "--privilege",
    ];
    assert_eq!(
        run(&[&check[..], &["group_view"]].concat()).stdout,
        "allow\n"
    );
    assert_eq!(run(&[&check[..], &["group_update"]].concat()).code, 3);

    // Damage: exit 3 naming the revision.
    cluster.psql(
        "cli",
        "UPDATE privgraph_batches SET line = line || ' ' WHERE revision = 1",
    );
    let damaged = run(&["db", "log", "--postgres", &url]);
    assert_eq!(damaged.code, 3, "{}", damaged.stderr);
    assert!(
        damaged.stderr.contains("at revision 1"),
        "{}",
        damaged.stderr
    );
}

#[test]
fn an_unreachable_server_or_a_bad_url_exits_2_and_never_prints_the_password() {
    // No server listens on port 1.
    let url = "postgresql://someone:s3cret@127.0.0.1:1/db";
    let export = run(&["db", "export", "--postgres", url]);
    assert_eq!(export.code, 2, "{}", export.stderr);
    assert!(
        export
            .stderr
            .contains("cannot connect to postgresql://someone@127.0.0.1:1/db"),
        "{}",
        export.stderr
    );
    assert!(!export.stderr.contains("s3cret"), "{}", export.stderr);
    assert_eq!(
        run(&["db", "log", "--postgres", "postgresql://[bad"]).code,
        2
    );
    // A directory and --postgres together are bad arguments.
    assert_eq!(
        run(&["db", "export", "some-dir", "--postgres", url]).code,
        2
    );
}
