//! Amparo's domain core: the formats a court relies on, and the pure logic around them.
//!
//! Nothing here does I/O, so every rule can be unit- and property-tested, and the offline
//! verifier (`amparo-verify`) can depend on this crate without pulling in a server.
//!
//! Module map:
//! - [`ids`]: identifiers of accounts, encounters, recordings and organizations.
//! - [`leaf`]: the byte layout of one evidence log entry and the recording's hash chain.
//! - [`merkle`]: the log's right edge (a compact range) that turns appends into stored hashes
//!   and tree roots, on top of `tlog_tiles` (RFC 6962 / C2SP tlog-tiles math).
//! - [`keys`]: the log's Ed25519 key in C2SP signed-note form.
//! - [`checkpoint`]: signing and checking C2SP tlog-checkpoints.
//! - [`receipt`]: the signed per-chunk receipt sent in the `Amparo-Receipt` header.
//! - [`roles`]: what an account may do.
//! - [`tiles`]: C2SP tlog-tiles paths.
//! - [`manifest`]: the evidence bundle's manifest, shared by the exporter and the verifier.
//! - [`dispatch`]: matching a person's request for an attorney with the attorneys on duty.
//! - [`plate`]: the vehicle registry's plates: normalizing, confusion-tolerant search and
//!   ranking, and reading a plate out of spoken English or Spanish.
//! - [`geo`]: places as H3 cells at the network's precision: a report's cell, a watch area's
//!   cells.
//! - [`observers`]: sending the nearest available responders to a verified incident as legal
//!   observers, on the attorney dispatcher's offer machinery.
//! - [`rapid`]: the rapid-response network's report types and a report's lifecycle.
//!
//! `docs/evidence-format.md` documents every byte these modules produce.

pub mod checkpoint;
pub mod dispatch;
pub mod geo;
pub mod ids;
pub mod keys;
pub mod leaf;
pub mod manifest;
pub mod merkle;
pub mod observers;
pub mod plate;
pub mod rapid;
pub mod receipt;
pub mod roles;
pub mod tiles;

pub use tlog_tiles::Hash;
