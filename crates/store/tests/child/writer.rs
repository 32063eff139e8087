//! The writer child of the crash, full-disk and permission tests (see `child`). It
//! writes through the group-commit handle and reports, one line each:
//!
//! - `durability JOURNAL_MODE SYNCHRONOUS` once the store is open;
//! - `ack REVISION MARKER` for every acknowledged write, MARKER being a string that
//!   only that write's batch holds;
//! - `error MESSAGE` for every write that failed to be stored, followed (in `fill`) by
//!   `unchanged REVISION` or `changed REVISION` after comparing the graph with the
//!   one before the write.
//!
//! Modes:
//! - `crash DIR NONCE THREADS CHECKPOINT_EVERY`: THREADS threads write until killed;
//! - `fill DIR`: one thread commits batches until five failed, then exits 0;
//! - `open DIR`: opens the store and commits one batch, then exits 0 (1 on an error).

use std::sync::Arc;

use privgraph::graph::{Author, Batch, Change, EntityKind, MemberType, TargetKind};
use privgraph::logic::{Auth, Outcome};
use privgraph::privileges::GroupPrivileges;
use privgraph::rest::Request;
use privgraph_store::{Config, Idempotency, Store, WriteError, Written};

use crate::child::say;

/// An exit code: 1 when the store failed, 2 for bad arguments.
type Code = i32;

/// A batch creating user `id` and putting it in group `g0`.
fn new_user(id: &str) -> Batch {
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

/// Write `n` of thread `thread`: a library batch, an operation creating a group (with
/// an idempotency key), or an operation changing the privileges of a user this thread
/// created. Returns what to print: the revision and the write's marker.
fn write(
    store: &privgraph_store::WriteHandle,
    prefix: &str,
    n: u64,
) -> Result<(u64, String), WriteError> {
    let user = |n: u64| format!("{prefix}-u{n}");
    match n % 3 {
        0 => store.commit(new_user(&user(n))).map(|r| (r, user(n))),
        1 => {
            let body = format!(r#"{{"name": "{prefix} {n}"}}"#);
            let Ok(request) = Request::parse("POST", "/groups", body.as_bytes()) else {
                return Err(WriteError::Closed);
            };
            let key = Idempotency::new(format!("{prefix}-k{n}"), |c| {
                c.revision.to_string().into_bytes()
            });
            match store.execute(&Auth::Root, request.operation(), request.body(), Some(key))? {
                Written::Applied(c) => match c.outcome {
                    Outcome::Created { id: Some(id) } => Ok((c.revision, id)),
                    _ => Ok((c.revision, String::new())),
                },
                Written::Repeated { revision, .. } => Ok((revision, String::new())),
            }
        }
        _ => {
            let target = user(n - 2);
            let grant = if n.is_multiple_of(2) {
                "grant"
            } else {
                "revoke"
            };
            let body = format!(r#"{{"{grant}": ["group_update"]}}"#);
            let path = format!("/groups/g0/users/{target}/privileges");
            let Ok(request) = Request::parse("PATCH", &path, body.as_bytes()) else {
                return Err(WriteError::Closed);
            };
            match store.execute(&Auth::Root, request.operation(), request.body(), None)? {
                Written::Applied(c) => Ok((c.revision, target)),
                Written::Repeated { revision, .. } => Ok((revision, target)),
            }
        }
    }
}

fn open(dir: &str, config: Config) -> Result<Store, Code> {
    let store = Store::open(dir, config).map_err(|err| {
        say(format_args!("error {err}"));
        1
    })?;
    match store.durability() {
        Ok(d) => say(format_args!(
            "durability {} {}",
            d.journal_mode, d.synchronous
        )),
        Err(err) => say(format_args!("error {err}")),
    }
    Ok(store)
}

fn crash(args: &[String]) -> Result<(), Code> {
    let [dir, nonce, threads, every] = args else {
        return Err(2);
    };
    let threads: usize = threads.parse().map_err(|_| 2)?;
    let every: u64 = every.parse().map_err(|_| 2)?;
    let store = Arc::new(open(
        dir,
        Config {
            checkpoint_every: every,
            ..Config::default()
        },
    )?);
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let handle = store.handle();
            let prefix = format!("{nonce}-t{t}");
            std::thread::spawn(move || {
                for n in 0.. {
                    match write(&handle, &prefix, n) {
                        Ok((revision, marker)) => say(format_args!("ack {revision} {marker}")),
                        Err(err) => say(format_args!("error {err}")),
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

fn fill(args: &[String]) -> Result<(), Code> {
    let [dir] = args else {
        return Err(2);
    };
    let store = open(dir, Config::default())?;
    let handle = store.handle();
    let reader = store.reader();
    let mut failures = 0;
    for n in 0.. {
        let before = privgraph::snapshot::save(&reader.read());
        let marker = format!("fill-u{n}");
        match handle.commit(new_user(&marker)) {
            Ok(revision) => say(format_args!("ack {revision} {marker}")),
            Err(err) => {
                say(format_args!("error {err}"));
                let graph = reader.read();
                let same = privgraph::snapshot::save(&graph) == before;
                let word = if same { "unchanged" } else { "changed" };
                say(format_args!("{word} {}", graph.revision()));
                failures += 1;
                if failures == 5 {
                    break;
                }
            }
        }
    }
    Ok(())
}

fn open_and_write(args: &[String]) -> Result<(), Code> {
    let [dir] = args else {
        return Err(2);
    };
    let store = open(dir, Config::default())?;
    match store.handle().commit(new_user("opened")) {
        Ok(revision) => {
            say(format_args!("ack {revision} opened"));
            Ok(())
        }
        Err(err) => {
            say(format_args!("error {err}"));
            Err(1)
        }
    }
}

/// Runs the mode `args` names; returns the exit code.
pub fn run(args: &[String]) -> Code {
    let result = match args.first().map(String::as_str) {
        Some("crash") => crash(&args[1..]),
        Some("fill") => fill(&args[1..]),
        Some("open") => open_and_write(&args[1..]),
        _ => Err(2),
    };
    match result {
        Ok(()) => 0,
        Err(code) => code,
    }
}
