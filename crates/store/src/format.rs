//! Versions of everything the store writes, and its checksums.
//!
//! Checksums are BLAKE3 in key-derivation mode, one context string per kind of record,
//! so a batch's bytes can never pass for a checkpoint's. The chain value of revision
//! `r` covers every batch up to `r` and, through revision 0, the starting checkpoint:
//!
//! ```text
//! chain(0) = H_genesis(checksum of the checkpoint at revision 0)
//! chain(r) = H_batch(chain(r - 1) ‖ r ‖ format ‖ the batch's JSON line)
//! checkpoint checksum = H_checkpoint(revision ‖ format ‖ the snapshot's JSON)
//! ```

use privgraph::graph::FORMAT;

/// The version of the database schema this build writes and reads.
///
/// ```
/// assert_eq!(privgraph_store::SCHEMA_VERSION, 1);
/// ```
pub const SCHEMA_VERSION: i64 = 1;

/// The version of the stored batches: the batch format of `privgraph` (each stored
/// batch is its JSON log line, which carries `"format"` too).
///
/// ```
/// assert_eq!(privgraph_store::BATCH_FORMAT, privgraph::graph::FORMAT as i64);
/// ```
pub const BATCH_FORMAT: i64 = FORMAT as i64;

/// The version of the stored checkpoints: compact snapshot JSON of this format
/// version.
///
/// ```
/// assert_eq!(privgraph_store::CHECKPOINT_FORMAT, privgraph::snapshot::VERSION as i64);
/// ```
pub const CHECKPOINT_FORMAT: i64 = privgraph::snapshot::VERSION as i64;

/// A 32-byte BLAKE3 checksum.
pub(crate) type Checksum = [u8; 32];

const GENESIS: &str = "privgraph-store 2026 chain genesis v1";
const BATCH: &str = "privgraph-store 2026 batch chain v1";
const CHECKPOINT: &str = "privgraph-store 2026 checkpoint v1";
const IDEMPOTENCY: &str = "privgraph-store 2026 idempotency record v1";

/// The chain value at revision 0, from the starting checkpoint's checksum.
pub(crate) fn genesis(checkpoint: &Checksum) -> Checksum {
    let mut hasher = blake3::Hasher::new_derive_key(GENESIS);
    hasher.update(checkpoint);
    *hasher.finalize().as_bytes()
}

/// The chain value at `revision`, from the one before it and the batch's stored line.
pub(crate) fn chain(previous: &Checksum, revision: u64, format: i64, line: &[u8]) -> Checksum {
    let mut hasher = blake3::Hasher::new_derive_key(BATCH);
    hasher.update(previous);
    hasher.update(&revision.to_le_bytes());
    hasher.update(&format.to_le_bytes());
    hasher.update(line);
    *hasher.finalize().as_bytes()
}

/// A checkpoint's own checksum.
pub(crate) fn checkpoint(revision: u64, format: i64, snapshot: &[u8]) -> Checksum {
    let mut hasher = blake3::Hasher::new_derive_key(CHECKPOINT);
    hasher.update(&revision.to_le_bytes());
    hasher.update(&format.to_le_bytes());
    hasher.update(snapshot);
    *hasher.finalize().as_bytes()
}

/// An idempotency record's checksum.
pub(crate) fn idempotency(key: &str, revision: u64, answer: &[u8]) -> Checksum {
    let mut hasher = blake3::Hasher::new_derive_key(IDEMPOTENCY);
    hasher.update(&(key.len() as u64).to_le_bytes());
    hasher.update(key.as_bytes());
    hasher.update(&revision.to_le_bytes());
    hasher.update(answer);
    *hasher.finalize().as_bytes()
}

/// A checksum read from the database: exactly 32 bytes, or `None`.
pub(crate) fn checksum_of(bytes: &[u8]) -> Option<Checksum> {
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_byte_and_every_context_changes_the_checksum() {
        let line = br#"{"format":1,"revision":1}"#;
        let base = chain(&[0; 32], 1, 1, line);
        let mut flipped = line.to_vec();
        flipped[3] ^= 1;
        assert_ne!(base, chain(&[0; 32], 1, 1, &flipped));
        assert_ne!(base, chain(&[1; 32], 1, 1, line));
        assert_ne!(base, chain(&[0; 32], 2, 1, line));
        assert_ne!(base, chain(&[0; 32], 1, 2, line));
        // The same bytes under another context give another checksum.
        assert_ne!(checkpoint(1, 1, line), chain(&[0; 32], 1, 1, line));
        assert_ne!(genesis(&base), base);
        // The key's length is hashed, so key and answer cannot trade bytes.
        assert_ne!(idempotency("ab", 1, b"c"), idempotency("a", 1, b"bc"));
    }
}
