//! `snapshot`: arbitrary bytes into the snapshot loader.
//!
//! Non-UTF-8 input is also tried as its lossy conversion. Checks: no panic; a text that
//! parses ([`Snapshot::from_json`]) writes back ([`Snapshot::to_json`]) to a text that
//! parses to the same snapshot (after sorting); a text that loads ([`snapshot::load`])
//! saves to a text that loads again, and saving that graph gives the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use privgraph::snapshot::{self, Snapshot};

fn run(text: &str) {
    let Ok(parsed) = Snapshot::from_json(text) else {
        // Refused input: a `load` must refuse it too.
        assert!(
            snapshot::load(text).is_err(),
            "load accepts what from_json refuses"
        );
        return;
    };
    let written = parsed.to_json();
    let mut reparsed = Snapshot::from_json(&written).expect("to_json output parses");
    let mut sorted = parsed.clone();
    sorted.canonicalize();
    reparsed.canonicalize();
    assert_eq!(reparsed, sorted, "from_json(to_json(s)) differs from s");

    let Ok(graph) = parsed.to_graph() else {
        return;
    };
    let saved = snapshot::save(&graph);
    let again = snapshot::load(&saved).expect("a saved graph loads");
    assert_eq!(snapshot::save(&again), saved, "save → load → save differs");
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => run(text),
        Err(_) => run(&String::from_utf8_lossy(data)),
    }
});
