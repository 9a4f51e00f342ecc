//! Amparo's evidence bundles: the writer the server exports with, and the offline verifier a court,
//! opposing counsel or anyone else runs on them, without trusting whoever ran the server.
//!
//! Small and auditable on purpose: no async, no network, a handful of dependencies. Every rule it
//! checks is written out in `docs/evidence-format.md`, so that others can write their own verifier.
//!
//! Module map:
//! - [`write`](mod@write): [`write_bundle`], which streams recordings into a bundle and signs its manifest.
//! - [`verify`]: [`verify_bundle`] and [`verify_reader`], which run every check and collect findings.
//! - [`report`]: [`Report`]: what was checked, what failed and where, in plain words.
//! - `evidence`: the checks that need no file bytes (manifest form, chunk layout, hash chain,
//!   checkpoint, inclusion proofs, receipts, sealing), shared by the writer and the verifier.
//! - `form`, `chunks`, `log`: those checks, by subject.
//! - `files`, `media`: the inventory and file digests, and the single pass over each media file.
//! - `archive`: reading the zip; `stream`: hashing chunks and whole files in one pass.
//! - `html`: the `report.html` a person reads; `time`: timestamps as text.

#![forbid(unsafe_code)]

mod archive;
mod chunks;
mod evidence;
mod files;
mod form;
mod html;
mod log;
mod media;
pub mod report;
mod stream;
mod time;
pub mod verify;
pub mod write;

pub use report::{Check, Finding, Place, Report, Summary};
pub use verify::{VerifyOptions, verify_bundle, verify_bundle_with, verify_reader};
pub use write::{BundleInput, RecordingInput, WriteError, write_bundle};
