//! Object storage for media: where it is, and how a chunk's bytes are written and read there.
//!
//! - [`open`]: the `blob_url` setting turned into an `ObjectStore`: empty for local files under
//!   the data directory (fsync on), `s3://bucket/prefix` for S3-compatible storage shared by
//!   several nodes; anything else is refused at start.
//! - [`chunks`]: a chunk's key carries its SHA-256, so a PUT can never replace committed bytes
//!   with other bytes (no conditional PUT needed); reads find data written under the older key.
//! - [`put`]: one object written: a single PUT below 8 MiB, a multipart upload from there
//!   (aborted on failure), the same on local files (fsync'ed either way).

pub mod chunks;
pub mod open;
pub mod put;

pub use chunks::{put_chunk, read_chunk};
pub use open::{BlobLocation, OpenError, S3Settings, open};
pub use put::put_object;
