//! The `privgraph` command line. Thin by design: it parses arguments and calls the
//! library; every decision lives (and is tested) there.
//!
//! Exit codes: 0 success, 1 an I/O error while writing the output.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use privgraph::privileges::{
    AtmInventoryPrivileges, ClusterPrivileges, GroupPrivileges, HandlePrivileges,
    HandleServicePrivileges, HarvesterPrivileges, OzPrivileges, Privileges, SpacePrivileges,
};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer as _};

/// privgraph: Onezone's membership and privilege model as an embedded engine.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the presets of the eight privilege vocabularies, one JSON object per line:
    /// {"vocabulary": "group", "member": [...], "manager": [...], "admin": [...]}.
    Presets,
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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Presets => presets(&mut io::stdout().lock()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("privgraph: {err}");
            ExitCode::from(1)
        }
    }
}
