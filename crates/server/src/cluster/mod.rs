//! Several nodes over one store: what only one node of the deployment may do at a time.
//!
//! - [`lease`]: a named lease taken and kept by a loop ([`lease::Lease`]): the one node that
//!   sequences the log, the one that dispatches attorneys, the one that dispatches legal
//!   observers. On SQLite (one node) it is always this
//!   node's; on PostgreSQL, a session-level advisory lock with takeover when the holder dies.

pub mod lease;
