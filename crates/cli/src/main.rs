//! The `privgraph` command line. Thin by design: it parses arguments and calls the
//! library (`privgraph::scenario`, `privgraph::inspect`, `privgraph::snapshot`), where
//! every decision lives and is tested.
//!
//! Exit codes: 0 success (`check`: allow), 1 a replay expectation failed or a snapshot
//! is invalid, 2 unreadable input or bad arguments, 3 `check`/`explain`: deny.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use privgraph::graph::{Graph, TargetKind};
use privgraph::privileges::{
    AtmInventoryPrivileges, ClusterPrivileges, GroupPrivileges, HandlePrivileges,
    HandleServicePrivileges, HarvesterPrivileges, OzPrivileges, Privileges, SpacePrivileges,
};
use privgraph::{inspect, scenario, snapshot};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer as _};

const EXIT_MISMATCH: u8 = 1;
const EXIT_UNREADABLE: u8 = 2;
const EXIT_DENY: u8 = 3;

/// privgraph: Onezone's membership and privilege model as an embedded engine.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "Exit codes: 0 success or allow, 1 failed expectation or invalid snapshot, 2 unreadable input, 3 deny."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a scenario (a snapshot and requests with expectations); prints one JSON
    /// line per step and exits 0 when every expectation holds, 1 otherwise.
    Replay {
        /// The scenario file (JSON).
        file: PathBuf,
    },
    /// Print `allow` (exit 0) or `deny` (exit 3): does the user hold the privilege?
    Check(Question),
    /// Print, as JSON lines, every path of memberships (or ownership) that gives the
    /// user the privilege; exit 0 if any, 3 if none.
    Explain(Question),
    /// Snapshot files.
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// Print the presets of the eight privilege vocabularies, one JSON object per line.
    Presets,
}

#[derive(Subcommand)]
enum SnapshotCommand {
    /// Load and validate a snapshot; prints entity counts as JSON (exit 0), or the
    /// offending id (exit 1).
    Validate {
        /// The snapshot file (JSON, format v1).
        file: PathBuf,
    },
}

#[derive(Args)]
#[group(id = "target", required = true, multiple = false)]
struct Target {
    /// A group id.
    #[arg(long, group = "target")]
    group: Option<String>,
    /// A space id.
    #[arg(long, group = "target")]
    space: Option<String>,
    /// A handle service id.
    #[arg(long, group = "target")]
    handle_service: Option<String>,
    /// A handle id.
    #[arg(long, group = "target")]
    handle: Option<String>,
    /// A harvester id.
    #[arg(long, group = "target")]
    harvester: Option<String>,
    /// A cluster id.
    #[arg(long, group = "target")]
    cluster: Option<String>,
    /// An automation inventory id.
    #[arg(long, group = "target")]
    atm_inventory: Option<String>,
}

impl Target {
    fn kind_and_id(&self) -> Option<(TargetKind, &str)> {
        [
            (TargetKind::Group, &self.group),
            (TargetKind::Space, &self.space),
            (TargetKind::HandleService, &self.handle_service),
            (TargetKind::Handle, &self.handle),
            (TargetKind::Harvester, &self.harvester),
            (TargetKind::Cluster, &self.cluster),
            (TargetKind::AtmInventory, &self.atm_inventory),
        ]
        .into_iter()
        .find_map(|(kind, id)| id.as_deref().map(|id| (kind, id)))
    }
}

#[derive(Args)]
struct Question {
    /// The snapshot file (JSON, format v1).
    #[arg(long)]
    snapshot: PathBuf,
    /// The user id.
    #[arg(long)]
    user: String,
    #[command(flatten)]
    target: Target,
    /// A privilege name of the target's vocabulary, e.g. `handle_service_update`.
    #[arg(long)]
    privilege: String,
}

fn read(path: &PathBuf) -> Result<String, ExitCode> {
    std::fs::read_to_string(path).map_err(|err| {
        eprintln!("privgraph: cannot read {}: {err}", path.display());
        ExitCode::from(EXIT_UNREADABLE)
    })
}

fn load_graph(path: &PathBuf) -> Result<Graph, ExitCode> {
    snapshot::load(&read(path)?).map_err(|err| {
        eprintln!("privgraph: {}: {err}", path.display());
        ExitCode::from(EXIT_UNREADABLE)
    })
}

fn run(cli: Cli) -> Result<ExitCode, ExitCode> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let io_error = |err: io::Error| {
        eprintln!("privgraph: cannot write the output: {err}");
        ExitCode::from(EXIT_UNREADABLE)
    };
    match cli.command {
        Command::Replay { file } => {
            let text = read(&file)?;
            let report = scenario::replay(&text, &mut out).map_err(|err| {
                eprintln!("privgraph: {}: {err}", file.display());
                ExitCode::from(EXIT_UNREADABLE)
            })?;
            for m in &report.mismatches {
                eprintln!(
                    "step {}: {} mismatch\n  expected: {}\n  actual:   {}",
                    m.step, m.field, m.expected, m.actual
                );
            }
            if report.mismatches.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "privgraph: {} of {} steps did not meet their expectations",
                    report
                        .mismatches
                        .iter()
                        .map(|m| m.step)
                        .collect::<std::collections::BTreeSet<_>>()
                        .len(),
                    report.steps
                );
                Ok(ExitCode::from(EXIT_MISMATCH))
            }
        }
        Command::Check(q) => {
            let graph = load_graph(&q.snapshot)?;
            let (kind, id) = q
                .target
                .kind_and_id()
                .ok_or(ExitCode::from(EXIT_UNREADABLE))?;
            let allowed =
                inspect::check(&graph, &q.user, kind, id, &q.privilege).map_err(|err| {
                    eprintln!("privgraph: {err}");
                    ExitCode::from(EXIT_UNREADABLE)
                })?;
            writeln!(out, "{}", if allowed { "allow" } else { "deny" }).map_err(io_error)?;
            Ok(if allowed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_DENY)
            })
        }
        Command::Explain(q) => {
            let graph = load_graph(&q.snapshot)?;
            let (kind, id) = q
                .target
                .kind_and_id()
                .ok_or(ExitCode::from(EXIT_UNREADABLE))?;
            let reasons =
                inspect::explain(&graph, &q.user, kind, id, &q.privilege).map_err(|err| {
                    eprintln!("privgraph: {err}");
                    ExitCode::from(EXIT_UNREADABLE)
                })?;
            for reason in &reasons {
                let line = serde_json::to_string(reason).map_err(|err| io_error(err.into()))?;
                writeln!(out, "{line}").map_err(io_error)?;
            }
            Ok(if reasons.is_empty() {
                ExitCode::from(EXIT_DENY)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Snapshot {
            command: SnapshotCommand::Validate { file },
        } => {
            let text = read(&file)?;
            match snapshot::load(&text) {
                Ok(graph) => {
                    let counts = serde_json::json!({
                        "valid": true,
                        "users": graph.len::<privgraph::graph::User>(),
                        "groups": graph.len::<privgraph::graph::Group>(),
                        "spaces": graph.len::<privgraph::graph::Space>(),
                        "shares": graph.len::<privgraph::graph::Share>(),
                        "handleServices": graph.len::<privgraph::graph::HandleService>(),
                        "handles": graph.len::<privgraph::graph::Handle>(),
                        "harvesters": graph.len::<privgraph::graph::Harvester>(),
                        "clusters": graph.len::<privgraph::graph::Cluster>(),
                        "atmInventories": graph.len::<privgraph::graph::AtmInventory>(),
                    });
                    writeln!(out, "{counts}").map_err(io_error)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    eprintln!("privgraph: {}: {err}", file.display());
                    Ok(ExitCode::from(EXIT_MISMATCH))
                }
            }
        }
        Command::Presets => {
            presets(&mut out).map_err(|err| io_error(err.into()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line: the vocabulary's name, then each preset in order as an array of names.
fn write_presets<P: Privileges + Serialize>(out: &mut impl Write) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::new(&mut *out);
    let mut map = serializer.serialize_map(Some(1 + P::PRESETS.len()))?;
    map.serialize_entry("vocabulary", P::VOCABULARY.as_str())?;
    for preset in P::PRESETS {
        map.serialize_entry(preset.name, &preset.privileges)?;
    }
    map.end()?;
    writeln!(out).map_err(serde_json::Error::io)
}

fn presets(out: &mut impl Write) -> serde_json::Result<()> {
    write_presets::<GroupPrivileges>(out)?;
    write_presets::<SpacePrivileges>(out)?;
    write_presets::<HandleServicePrivileges>(out)?;
    write_presets::<HandlePrivileges>(out)?;
    write_presets::<HarvesterPrivileges>(out)?;
    write_presets::<ClusterPrivileges>(out)?;
    write_presets::<AtmInventoryPrivileges>(out)?;
    write_presets::<OzPrivileges>(out)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) | Err(code) => code,
    }
}
