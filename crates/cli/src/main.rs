//! The `privgraph` command line. Thin by design: it parses arguments, reads files and
//! calls the libraries (`privgraph::scenario`, `privgraph::inspect`,
//! `privgraph::snapshot`, `privgraph_store`), where every decision lives and is tested. What each command
//! prints and its exit codes are written out in the repository's `docs/cli.md`.

mod watch;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use privgraph::graph::{EntityKind, Graph, MemberType, TargetKind, User};
use privgraph::inspect::{self, Explanation, QueryError};
use privgraph::logic::{Auth, Decision, Engine};
use privgraph::lookup::{self, LookupError, PageRequest, Subject};
use privgraph::privileges::{AnyPrivileges, Vocabulary};
use privgraph::rest::{self, Request};
use privgraph::scenario::{self, ScenarioError};
use privgraph::snapshot;
use privgraph_store::StoreError;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer as _};

/// One exit code per kind of failure (the tables of `docs/cli.md`).
mod exit {
    /// `replay`: an expectation did not hold.
    pub const MISMATCH: u8 = 1;
    /// A file was read but its content is not what the command takes, whatever its
    /// bytes (the code `db init` gives an invalid snapshot; for `replay`, a scenario
    /// that cannot run is one whose expectations do not hold).
    pub const INVALID: u8 = 1;
    /// Bad arguments (a name that names nothing included), a file that cannot be
    /// read, output that cannot be written.
    pub const USAGE: u8 = 2;
    /// `check`, `explain`: the user does not hold the privilege, or may not perform
    /// the operation.
    pub const DENY: u8 = 3;
    /// `check --operation`: the entity or relation the operation names does not exist.
    pub const NOT_FOUND: u8 = 4;
    /// `db`: not a store, or a store that fails its integrity check.
    pub const NOT_A_STORE: u8 = 3;
    /// `db init`: the directory already holds a store.
    pub const ALREADY_A_STORE: u8 = 4;
    /// `db`: another process is the store's writer.
    pub const LOCKED: u8 = 5;
}

/// privgraph: Onezone's membership and privilege model as an embedded engine.
#[derive(Parser)]
#[command(
    name = "privgraph",
    version,
    after_help = "Exit codes: 0 success (allowed, every expectation held, valid), \
                  1 an expectation failed or invalid content, 2 bad arguments or unreadable \
                  file, 3 denied, 4 not found (check --operation). The db commands: 1 invalid snapshot \
                  (init), 2 bad arguments or unreadable input, 3 not a store or a failed \
                  integrity check, 4 the directory already holds a store (init), 5 locked by \
                  another writer. lookup: 0 answered (an empty answer too), 2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a scenario (a snapshot and requests with expectations): one JSON line per
    /// step on stdout, a readable line per step and a summary on stderr; exit 0 when
    /// every expectation holds, 1 otherwise.
    Replay {
        /// The scenario file (JSON).
        file: PathBuf,
    },
    /// Print `allow` (exit 0) or `deny` (exit 3): does the user hold the privilege?
    /// With --batch, answer one JSON query per line of FILE (or stdin for `-`), one
    /// line of output each.
    Check(CheckArgs),
    /// Why: one JSON line per path of memberships (or ownership) that gives the user
    /// the privilege (exit 0); on a denial, one JSON line with what the user holds
    /// there (exit 3).
    Explain {
        #[command(flatten)]
        question: Question,
    },
    /// Snapshot files.
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// Print the presets of the eight privilege vocabularies, one JSON object per line.
    Presets,
    /// Durable stores: a directory with an SQLite database of batches and checkpoints.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Who holds what: every entity where a subject holds a privilege, or every subject
    /// holding one in an entity, as `check` answers (owners yes, oz privileges never);
    /// exit 0, also for an empty answer, 2 bad input.
    Lookup {
        #[command(subcommand)]
        command: LookupCommand,
    },
    /// Serve Onezone's REST API and privgraph's own endpoints over HTTP on a store;
    /// prints `listening on http://HOST:PORT` when ready, logs on stderr, stops
    /// gracefully on SIGTERM or SIGINT (exit 0), reloads the tokens file on SIGHUP.
    /// Exit 2 bad arguments, a missing store, a busy port, a tokens file readable by
    /// group or others; 3 a damaged store; 5 a store locked by another writer.
    Serve(ServeArgs),
    /// Print one JSON line per batch of a store after --since (default: its head),
    /// {"revision", "changes", "effective"}, following new batches until interrupted
    /// or until --until is printed (exit 0); exit 2 bad arguments, 3 a revision the
    /// store cannot serve, not a store, or a damaged store.
    Watch(watch::WatchArgs),
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: Served,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// A JSON object mapping each token to "root" or "user:ID" (readable by its owner
    /// only). Without it every request is nobody.
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// How long a request with X-Privgraph-At-Least waits for its revision before it
    /// is answered 503.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = seconds)]
    at_least_timeout: std::time::Duration,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// How long a connection may take to send a request's headers, counted from when
    /// it is ready for one (so also how long an idle connection stays open).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    header_timeout: std::time::Duration,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Write a checkpoint (the whole graph, so a restart replays fewer batches) every N
    /// batches.
    #[arg(long, value_name = "N", default_value_t = privgraph_store::Config::default().checkpoint_every, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: u64,
}

/// What `serve` serves: a directory or a PostgreSQL database.
#[derive(Args)]
#[group(id = "served", required = true, multiple = false, args = ["data", "postgres"])]
struct Served {
    /// The store's directory (made by `privgraph db init`); the server is its one
    /// writer.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Serve as one replica of the store in this PostgreSQL database (made by
    /// `privgraph db init --postgres`), e.g. postgresql://USER:PASSWORD@HOST:PORT/NAME;
    /// any number of servers may serve one database.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

/// A positive number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{text:?} is not a positive number of seconds"))
}

#[derive(Subcommand)]
enum LookupCommand {
    /// Print {"ids": [...]}: every entity of --kind where the user or group holds the
    /// privilege, sorted.
    Resources(ResourcesArgs),
    /// Print {"users": [...], "groups": [...]}: every user and group holding the
    /// privilege in the entity (for a group: its effective child groups), sorted.
    Subjects(SubjectsArgs),
}

#[derive(Args)]
struct ResourcesArgs {
    #[command(flatten)]
    source: Source,
    /// The user id.
    #[arg(long, conflicts_with = "group", required_unless_present = "group")]
    user: Option<String>,
    /// The group id (instead of --user).
    #[arg(long)]
    group: Option<String>,
    // Its help lists the target kinds from the kind table (`kind_help`).
    #[arg(long, value_parser = target_kind, help = kind_help())]
    kind: TargetKind,
    /// A privilege name of the kind's vocabulary, e.g. `space_view`.
    #[arg(long)]
    privilege: String,
}

#[derive(Args)]
struct SubjectsArgs {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    target: Target,
    /// A privilege name of the entity's vocabulary, e.g. `handle_service_update`.
    #[arg(long)]
    privilege: String,
}

/// Every target kind's snake-case name, in the kind table's order.
fn kind_names() -> Vec<&'static str> {
    TargetKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// `--kind`'s help: every target kind's name, "a, b or c".
fn kind_help() -> String {
    match kind_names().split_last() {
        Some((last, [])) => format!("The kind of entity to list: {last}"),
        Some((last, rest)) => {
            format!("The kind of entity to list: {} or {last}", rest.join(", "))
        }
        None => "The kind of entity to list".to_owned(),
    }
}

/// A kind with members, by its snake-case name.
fn target_kind(name: &str) -> Result<TargetKind, String> {
    TargetKind::from_name(name)
        .ok_or_else(|| format!("expected one of {}", kind_names().join(", ")))
}

#[derive(Subcommand)]
enum DbCommand {
    /// Create a store in DIR (new or empty), or in the PostgreSQL database at --postgres
    /// URL, empty or holding a snapshot, at revision 0; prints {"revision": 0}.
    Init {
        #[command(flatten)]
        store: StoreArg,
        /// A snapshot file (JSON, format v1) to start from.
        #[arg(long, value_name = "SNAPSHOT")]
        from: Option<PathBuf>,
    },
    /// Print the store's head state as snapshot JSON (format v1, compact).
    Export {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Print one JSON line per batch after revision R (default 0: every batch).
    Log {
        #[command(flatten)]
        store: StoreArg,
        /// Print the batches after this revision.
        #[arg(long, value_name = "R", default_value_t = 0)]
        since: u64,
    },
    /// Write a checkpoint at the head (needs the writer's lock); prints {"revision": N}.
    Compact {
        /// The store's directory.
        dir: PathBuf,
    },
    /// Copy the store into TO_DIR (new or empty) with SQLite's online backup, safe while
    /// a writer runs; prints {"revision": N}, the copy's head.
    Backup {
        /// The store's directory.
        dir: PathBuf,
        /// The copy's directory.
        to_dir: PathBuf,
    },
}

/// A store: a directory, or a PostgreSQL database.
#[derive(Args)]
#[group(id = "store", required = true, multiple = false, args = ["dir", "postgres"])]
struct StoreArg {
    /// The store's directory.
    dir: Option<PathBuf>,
    /// A PostgreSQL database instead of a directory, e.g.
    /// postgresql://USER:PASSWORD@HOST:PORT/NAME.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

/// Where a store is.
enum StoreAt<'a> {
    Dir(&'a Path),
    Postgres(&'a str),
}

impl StoreArg {
    fn at(&self) -> StoreAt<'_> {
        match (&self.dir, &self.postgres) {
            (_, Some(url)) => StoreAt::Postgres(url),
            (Some(dir), None) => StoreAt::Dir(dir),
            // clap's group requires one of the two.
            (None, None) => StoreAt::Dir(Path::new(".")),
        }
    }
}

#[derive(Subcommand)]
enum SnapshotCommand {
    /// Load and validate a snapshot; prints entity counts as JSON (exit 0), or names
    /// the offending id (exit 1).
    Validate {
        /// The snapshot file (JSON, format v1).
        file: PathBuf,
    },
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    question: Question,
    /// Decide an operation of Onezone's REST API instead of a privilege: "METHOD PATH",
    /// e.g. "PATCH /handle_services/hs1/users/u2/privileges". Answers as Onezone would
    /// for --user, admins included: allow (exit 0), deny (3) or notFound (4).
    #[arg(
        long,
        value_name = "METHOD PATH",
        conflicts_with_all = ["privilege", "target", "batch"],
        requires = "user"
    )]
    operation: Option<String>,
    /// The request body of --operation (JSON; default `{}`).
    #[arg(long, value_name = "JSON", requires = "operation")]
    body: Option<String>,
    /// With --operation: also print why, as one JSON line.
    #[arg(long, requires = "operation")]
    explain: bool,
    /// Answer many queries against one load: one JSON object per line,
    /// {"user", "kind", "id", "privilege"}; `-` reads stdin.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["user", "privilege", "target"])]
    batch: Option<PathBuf>,
}

#[derive(Args)]
#[group(id = "source", required = true, multiple = false, args = ["snapshot", "data", "postgres"])]
struct Source {
    /// The snapshot file (JSON, format v1).
    #[arg(long)]
    snapshot: Option<PathBuf>,
    /// A store's directory: its head state is read (while a writer runs, too).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// A store in a PostgreSQL database: its head state is read.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

impl Source {
    /// The graph: a snapshot's, or a store's head.
    fn load(&self) -> Result<Graph, Failure> {
        let stored = match (&self.snapshot, &self.data, &self.postgres) {
            (Some(path), _, _) => return load_graph(path),
            (None, Some(dir), _) => privgraph_store::load(dir),
            (None, None, Some(url)) => privgraph_store::postgres::load(url),
            (None, None, None) => {
                return Err(Failure::new(
                    exit::USAGE,
                    "give --snapshot FILE, --data DIR or --postgres URL",
                ));
            }
        };
        stored.map_err(|err| {
            // A store that fails its check is invalid content; any other failure
            // is input that cannot be read (exit 3 is `deny` here).
            let code = match err {
                StoreError::Corrupt { .. } | StoreError::Version { .. } => exit::INVALID,
                _ => exit::USAGE,
            };
            Failure::new(code, err)
        })
    }
}

#[derive(Args)]
struct Question {
    #[command(flatten)]
    source: Source,
    /// The user id (required without --batch).
    #[arg(long)]
    user: Option<String>,
    #[command(flatten)]
    target: Target,
    /// A privilege name of the target's vocabulary, e.g. `handle_service_update`
    /// (required without --batch).
    #[arg(long)]
    privilege: Option<String>,
}

/// `--<kind> ID`: one flag per target kind, named by the kinds' table
/// (`--handle-service`, …); at most one may be given (required without --batch;
/// checked in [`Question::single`], since clap cannot make a group required unless
/// another argument is present).
#[derive(Default)]
struct Target {
    chosen: Option<(TargetKind, String)>,
}

impl Target {
    fn kind_and_id(&self) -> Option<(TargetKind, &str)> {
        self.chosen.as_ref().map(|(kind, id)| (*kind, id.as_str()))
    }

    /// `--group, --space, …` for messages.
    fn flags() -> String {
        let flags: Vec<String> = TargetKind::ALL
            .iter()
            .map(|kind| format!("--{}", kind.info().flag))
            .collect();
        flags.join(", ")
    }
}

impl clap::FromArgMatches for Target {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut target = Target::default();
        target.update_from_arg_matches(matches)?;
        Ok(target)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        for kind in TargetKind::ALL {
            if let Some(id) = matches.get_one::<String>(kind.info().flag) {
                self.chosen = Some((kind, id.clone()));
            }
        }
        Ok(())
    }
}

impl Args for Target {
    fn augment_args(mut command: clap::Command) -> clap::Command {
        for kind in TargetKind::ALL {
            let info = kind.info();
            command = command.arg(
                clap::Arg::new(info.flag)
                    .long(info.flag)
                    .value_name("ID")
                    .help(format!("The {} id", info.name.replace('_', " ")))
                    .group("target"),
            );
        }
        command.group(clap::ArgGroup::new("target").multiple(false))
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

/// One question, every part given.
struct Single<'a> {
    user: &'a str,
    kind: TargetKind,
    id: &'a str,
    privilege: &'a str,
}

/// Exits with clap's usage error (exit 2) for the subcommand at `path` (`["check"]`,
/// `["lookup", "subjects"]`): `what` was not given.
fn missing(path: &[&str], what: &str) -> ! {
    let mut command = Cli::command();
    // Gives subcommands their full name (`privgraph check`) in the usage line.
    command.build();
    let message = format!("the following required arguments were not provided: {what}");
    for name in path {
        match command.find_subcommand(name) {
            Some(sub) => command = sub.clone(),
            None => break,
        }
    }
    command
        .error(ErrorKind::MissingRequiredArgument, message)
        .exit()
}

impl Target {
    /// The entity given, or the usage error naming the flags.
    fn required(&self, path: &[&str]) -> (TargetKind, &str) {
        self.kind_and_id()
            .unwrap_or_else(|| missing(path, &format!("one of {}", Target::flags())))
    }
}

impl Question {
    /// The question, or clap's usage error (exit 2) naming what is missing.
    fn single(&self, subcommand: &str) -> Single<'_> {
        let missing = |what: &str| -> ! { missing(&[subcommand], what) };
        let (kind, id) = self.target.required(&[subcommand]);
        Single {
            user: self.user.as_deref().unwrap_or_else(|| missing("--user")),
            kind,
            id,
            privilege: self
                .privilege
                .as_deref()
                .unwrap_or_else(|| missing("--privilege")),
        }
    }
}

/// Why a command stopped: its exit code and the message for stderr.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl std::fmt::Display) -> Failure {
        Failure {
            code,
            message: message.to_string(),
        }
    }

    fn output(err: io::Error) -> Failure {
        Failure::new(exit::USAGE, format_args!("cannot write the output: {err}"))
    }
}

/// The file as text: unreadable is [`exit::USAGE`], readable but not UTF-8 is
/// [`exit::INVALID`] (invalid content, like any other bad byte in it).
fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = std::fs::read(path).map_err(|err| {
        Failure::new(
            exit::USAGE,
            format_args!("cannot read {}: {err}", path.display()),
        )
    })?;
    String::from_utf8(bytes).map_err(|err| {
        Failure::new(
            exit::INVALID,
            format_args!(
                "{}: not UTF-8 text (invalid byte at offset {})",
                path.display(),
                err.utf8_error().valid_up_to()
            ),
        )
    })
}

fn load_graph(path: &Path) -> Result<Graph, Failure> {
    snapshot::load(&read_text(path)?)
        .map_err(|err| Failure::new(exit::INVALID, format_args!("{}: {err}", path.display())))
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Replay { file } => replay(&file, &mut out),
        Command::Check(args) => match (&args.batch, &args.operation) {
            (Some(batch), _) => check_batch(&args.question.source, batch, &mut out),
            (None, Some(operation)) => decide(&args, operation, &mut out),
            (None, None) => {
                let q = args.question.single("check");
                let graph = args.question.source.load()?;
                let allowed = inspect::check(&graph, q.user, q.kind, q.id, q.privilege)
                    .map_err(|err| Failure::new(exit::USAGE, err))?;
                writeln!(out, "{}", if allowed { "allow" } else { "deny" })
                    .map_err(Failure::output)?;
                Ok(verdict(allowed))
            }
        },
        Command::Explain { question } => {
            let q = question.single("explain");
            let graph = question.source.load()?;
            let explanation = inspect::explain(&graph, q.user, q.kind, q.id, q.privilege)
                .map_err(|err| Failure::new(exit::USAGE, err))?;
            match &explanation {
                Explanation::Allowed(reasons) => {
                    for reason in reasons {
                        write_json(&mut out, reason)?;
                    }
                }
                Explanation::Denied(denial) => write_json(&mut out, denial)?,
            }
            Ok(verdict(explanation.is_allowed()))
        }
        Command::Snapshot {
            command: SnapshotCommand::Validate { file },
        } => {
            let graph = load_graph(&file)?;
            let mut counts = serde_json::Map::new();
            counts.insert("valid".into(), true.into());
            for kind in EntityKind::ALL {
                counts.insert(kind.info().section.into(), graph.len_of(kind).into());
            }
            let counts = serde_json::Value::Object(counts);
            writeln!(out, "{counts}").map_err(Failure::output)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Presets => {
            presets(&mut out).map_err(|err| Failure::output(err.into()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Db { command } => db(command, &mut out),
        Command::Lookup { command } => lookup(command, &mut out),
        Command::Serve(args) => {
            drop(out);
            serve(args)
        }
        Command::Watch(args) => watch::watch(args, &mut out),
    }
}

/// `privgraph serve`: the server crate does the work; this only maps arguments and
/// exit codes.
fn serve(args: ServeArgs) -> Result<ExitCode, Failure> {
    privgraph_server::init_logging();
    let config = match (args.store.data, args.store.postgres) {
        (_, Some(url)) => privgraph_server::Config::postgres(url),
        (Some(dir), None) => privgraph_server::Config::new(dir),
        // clap's group requires one of the two.
        (None, None) => privgraph_server::Config::new("."),
    };
    let mut config = config.listen(args.listen);
    config.tokens = args.tokens;
    config.at_least_timeout = args.at_least_timeout;
    config.limits.header_timeout = args.header_timeout;
    config.limits.max_connections = args.max_connections as usize;
    config.store.checkpoint_every = args.checkpoint_every;
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config.tls = Some(privgraph_server::Tls { cert, key });
    }
    privgraph_server::serve(config, |addr| {
        // The first line on stdout, for whoever started the server: it serves now.
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "listening on http://{addr}");
        let _ = stdout.flush();
    })
    .map_err(|err| Failure::new(err.exit_code(), err))?;
    Ok(ExitCode::SUCCESS)
}

/// `lookup`: every failure is bad input (exit 2), an unreadable or invalid snapshot or
/// store included.
fn lookup(command: LookupCommand, out: &mut impl Write) -> Result<ExitCode, Failure> {
    let usage = |err: LookupError| Failure::new(exit::USAGE, err);
    let load = |source: &Source| {
        source.load().map_err(|failure| Failure {
            code: exit::USAGE,
            ..failure
        })
    };
    let all = PageRequest::default();
    match command {
        LookupCommand::Resources(args) => {
            let subject = match (args.user, args.group) {
                (Some(id), _) => Subject {
                    kind: MemberType::User,
                    id,
                },
                (None, Some(id)) => Subject {
                    kind: MemberType::Group,
                    id,
                },
                (None, None) => missing(&["lookup", "resources"], "--user or --group"),
            };
            let graph = load(&args.source)?;
            let found = lookup::resources_by_id(&graph, &subject, args.kind, &args.privilege, &all)
                .map_err(usage)?;
            #[derive(Serialize)]
            struct Ids<'a> {
                ids: &'a [String],
            }
            write_json(out, &Ids { ids: &found.ids })?;
        }
        LookupCommand::Subjects(args) => {
            let (kind, id) = args.target.required(&["lookup", "subjects"]);
            let graph = load(&args.source)?;
            let found =
                lookup::subjects_by_id(&graph, kind, id, &args.privilege, &all).map_err(usage)?;
            #[derive(Serialize)]
            struct Holders<'a> {
                users: &'a [String],
                groups: &'a [String],
            }
            let holders = Holders {
                users: &found.users,
                groups: &found.groups,
            };
            write_json(out, &holders)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The exit code of a store failure, as every `db` command gives it.
fn store_failure(err: StoreError) -> Failure {
    let code = match err {
        StoreError::NotAStore { .. }
        | StoreError::NoStoreInDatabase { .. }
        | StoreError::Corrupt { .. }
        | StoreError::Version { .. } => exit::NOT_A_STORE,
        StoreError::Locked { .. } => exit::LOCKED,
        StoreError::AlreadyAStore { .. } | StoreError::AlreadyInDatabase { .. } => {
            exit::ALREADY_A_STORE
        }
        _ => exit::USAGE,
    };
    Failure::new(code, err)
}

fn db(command: DbCommand, out: &mut impl Write) -> Result<ExitCode, Failure> {
    let revision = match command {
        DbCommand::Init { store, from } => {
            let graph = match &from {
                None => Graph::new(),
                Some(path) => {
                    // Unreadable is 2 and invalid content 1, as for every command.
                    load_graph(path)?
                }
            };
            match store.at() {
                StoreAt::Dir(dir) => privgraph_store::init(dir, &graph),
                StoreAt::Postgres(url) => privgraph_store::postgres::init(url, &graph),
            }
            .map_err(store_failure)?;
            0
        }
        DbCommand::Export { store } => {
            let graph = match store.at() {
                StoreAt::Dir(dir) => privgraph_store::load(dir),
                StoreAt::Postgres(url) => privgraph_store::postgres::load(url),
            }
            .map_err(store_failure)?;
            writeln!(out, "{}", snapshot::save(&graph)).map_err(Failure::output)?;
            return Ok(ExitCode::SUCCESS);
        }
        DbCommand::Log { store, since } => {
            let mut out = BufWriter::new(out);
            let line = |line: &str| writeln!(out, "{line}");
            match store.at() {
                StoreAt::Dir(dir) => privgraph_store::log(dir, since, line),
                StoreAt::Postgres(url) => privgraph_store::postgres::log(url, since, line),
            }
            .map_err(store_failure)?;
            out.flush().map_err(Failure::output)?;
            return Ok(ExitCode::SUCCESS);
        }
        DbCommand::Compact { dir } => privgraph_store::compact(&dir).map_err(store_failure)?,
        DbCommand::Backup { dir, to_dir } => {
            privgraph_store::backup(&dir, &to_dir).map_err(|err| match err {
                // A destination that holds a store is a bad argument here; only
                // `init` has an exit code of its own for it.
                StoreError::AlreadyAStore { .. } => Failure::new(exit::USAGE, err),
                other => store_failure(other),
            })?
        }
    };
    writeln!(out, "{}", serde_json::json!({ "revision": revision })).map_err(Failure::output)?;
    Ok(ExitCode::SUCCESS)
}

/// `check --operation`: the pipeline's dry run for the user.
fn decide(args: &CheckArgs, operation: &str, out: &mut impl Write) -> Result<ExitCode, Failure> {
    let usage = |what: String| Failure::new(exit::USAGE, what);
    let (method, path) = operation
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(|| {
            usage(format!(
                "--operation takes \"METHOD PATH\", not {operation:?}"
            ))
        })?;
    let graph = args.question.source.load()?;
    let user = args.question.user.as_deref().unwrap_or_default();
    if graph.key::<User>(user).is_none() {
        return Err(usage(format!("no user `{user}` in the graph")));
    }
    let body = args.body.as_deref().unwrap_or("{}");
    let request = Request::parse(method, path.trim(), body.as_bytes()).map_err(|refused| {
        let why = refused
            .json()
            .and_then(|b| b["error"]["description"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("the path allows only {}", refused.allow.join(", ")));
        usage(format!("--operation {operation:?}: {why}"))
    })?;
    let engine = Engine::new(graph);
    let auth = Auth::User(user.to_owned());
    let decision = engine.authorize(&auth, request.operation(), request.body());
    let (word, code) = match &decision {
        Decision::Allowed { .. } => ("allow", ExitCode::SUCCESS),
        Decision::Denied(_) => ("deny", ExitCode::from(exit::DENY)),
        Decision::NotFound => ("notFound", ExitCode::from(exit::NOT_FOUND)),
    };
    writeln!(out, "{word}").map_err(Failure::output)?;
    if args.explain {
        write_json(out, &rest::DecisionBody(&decision))?;
    }
    Ok(code)
}

fn verdict(allowed: bool) -> ExitCode {
    if allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::DENY)
    }
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> Result<(), Failure> {
    serde_json::to_writer(&mut *out, value).map_err(|err| Failure::output(err.into()))?;
    writeln!(out).map_err(Failure::output)
}

fn replay(file: &Path, out: &mut impl Write) -> Result<ExitCode, Failure> {
    let text = read_text(file)?;
    let mut show = |step: &scenario::StepRecord<'_>| eprintln!("{step}");
    let report = scenario::replay_with(&text, out, &mut show).map_err(|err| {
        let code = match err {
            // An unknown `${NAME}` exits 2 by the scenario contract, like any name that
            // names nothing.
            ScenarioError::UnknownCapture { .. } => exit::USAGE,
            ScenarioError::Io(_) => exit::USAGE,
            _ => exit::INVALID,
        };
        Failure::new(code, format_args!("{}: {err}", file.display()))
    })?;
    eprintln!("{report}");
    Ok(if report.mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::MISMATCH)
    })
}

fn check_batch(source: &Source, batch: &Path, out: &mut impl Write) -> Result<ExitCode, Failure> {
    let graph = source.load()?;
    let input: Box<dyn Read> = if batch == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(batch).map_err(|err| {
            Failure::new(
                exit::USAGE,
                format_args!("cannot read {}: {err}", batch.display()),
            )
        })?)
    };
    let mut out = BufWriter::new(out);
    let report = inspect::check_batch(&graph, &mut BufReader::new(input), &mut out)
        .map_err(|err| Failure::new(exit::USAGE, format_args!("batch: {err}")))?;
    match &report.first_failure {
        None => Ok(ExitCode::SUCCESS),
        Some((line, err)) => {
            eprintln!(
                "privgraph: {}: {report}; the first failure is line {line}",
                batch.display()
            );
            Ok(ExitCode::from(match err {
                QueryError::Invalid(_) => exit::INVALID,
                QueryError::Unknown(_) => exit::USAGE,
            }))
        }
    }
}

/// One line per vocabulary: its name, then each preset in order as an array of names.
fn presets(out: &mut impl Write) -> serde_json::Result<()> {
    for vocabulary in Vocabulary::ALL {
        let presets = AnyPrivileges::presets(vocabulary);
        let mut serializer = serde_json::Serializer::new(&mut *out);
        let mut map = serializer.serialize_map(Some(1 + presets.len()))?;
        map.serialize_entry("vocabulary", vocabulary.as_str())?;
        for (name, privileges) in &presets {
            map.serialize_entry(name, privileges)?;
        }
        map.end()?;
        writeln!(out).map_err(serde_json::Error::io)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("privgraph: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
