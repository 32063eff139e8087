//! `privgraph watch`: the watch events of a store's batches, one JSON line each, read
//! from its log while another process (a server) may write it.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use privgraph_store::{LogWatch, WatchError};

use crate::{Failure, exit, store_failure};

/// How often the log is read again when it has nothing new.
const POLL: Duration = Duration::from_millis(100);
/// The most batches one read of the log takes.
const PAGE: usize = 256;

#[derive(Args)]
pub(crate) struct WatchArgs {
    /// The store's directory (it may be held by a running server).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Print the batches after this revision (default: the head, so only new ones).
    #[arg(long, value_name = "R")]
    since: Option<u64>,
    /// Stop (exit 0) once the batch of this revision is printed.
    #[arg(long, value_name = "R2")]
    until: Option<u64>,
}

/// Prints every event after `--since`, following new batches until `--until` is
/// printed or SIGINT / SIGTERM arrives (exit 0 both), or stdout is closed.
pub(crate) fn watch(args: WatchArgs, out: &mut impl Write) -> Result<ExitCode, Failure> {
    let mut log = LogWatch::open(&args.data, args.since).map_err(failure)?;
    let interrupted = on_interrupt()?;
    let done = |revision: u64| args.until.is_some_and(|until| revision >= until);
    while !done(log.revision()) && !interrupted.load(Ordering::Relaxed) {
        let events = log.next_events(PAGE).map_err(failure)?;
        if events.is_empty() {
            std::thread::sleep(POLL);
            continue;
        }
        for event in &events {
            let written = serde_json::to_writer(&mut *out, event)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
            match written {
                Ok(()) => {}
                // Whoever read the output went away: nothing is left to do.
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS);
                }
                Err(err) => return Err(Failure::output(err)),
            }
            if done(event.revision) {
                break;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn failure(err: WatchError) -> Failure {
    match err {
        WatchError::Store(err) => store_failure(err),
        other => Failure::new(exit::NOT_A_STORE, other),
    }
}

/// A flag set by SIGINT or SIGTERM, so that an interrupted watch ends with exit 0.
fn on_interrupt() -> Result<Arc<AtomicBool>, Failure> {
    let flag = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|err| Failure::new(exit::USAGE, format_args!("cannot handle signals: {err}")))?;
    let set = Arc::clone(&flag);
    let signals = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        Ok::<_, io::Error>((
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        ))
    });
    let (mut interrupt, mut terminate) = signals
        .map_err(|err| Failure::new(exit::USAGE, format_args!("cannot handle signals: {err}")))?;
    std::thread::Builder::new()
        .name("privgraph-signals".to_owned())
        .spawn(move || {
            runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            });
            set.store(true, Ordering::Relaxed);
        })
        .map_err(|err| Failure::new(exit::USAGE, format_args!("cannot handle signals: {err}")))?;
    Ok(flag)
}
