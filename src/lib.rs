//! privgraph: an embedded authorization engine with Onezone's membership and privilege
//! semantics.
//!
//! Layers point one way: [`privileges`] (the vocabularies and their algebra) ←
//! [`graph`] (memberships with materialized effective privileges) ← [`logic`] (Onezone's
//! operation rules) ← [`rest`] (the REST-shaped adapter) ←
//! the `privgraph` CLI. Each module's documentation starts with what it is for, an
//! example and its costs.
// `unsafe` only where `concurrent`'s fence-free checks need it, each use with its argument.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod concurrent;
pub mod graph;
pub mod inspect;
pub mod logic;
pub mod lookup;
mod objects;
pub mod privileges;
pub mod rest;
pub mod scenario;
pub mod snapshot;
pub mod watch;

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
