//! The open-files limit (RLIMIT_NOFILE), raised to its hard maximum for benchmarks that hold
//! thousands of sockets. Client and server run in one process, so each loopback connection costs
//! two descriptors against this one limit.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors kept back for everything but the long-lived sockets: the HTTP client's pool (it
/// grows when responses slow down), the server's ends of those connections, the store's files,
/// the runtime's own.
const RESERVE: u64 = 2_000;

/// The limit after trying to raise it.
#[derive(Clone, Copy, Debug)]
pub struct OpenFiles {
    pub soft: u64,
    pub hard: Option<u64>,
    /// Descriptors open when the limit was read.
    pub in_use: u64,
}

/// Raises the soft limit to the hard one (no privilege is needed for that); reports what holds.
pub fn raise_to_hard_limit() -> OpenFiles {
    let before = getrlimit(Resource::Nofile);
    if before.maximum != before.current {
        let raised = Rlimit {
            current: before.maximum,
            maximum: before.maximum,
        };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            eprintln!("  (could not raise the open-files limit: {error})");
        }
    }
    let now = getrlimit(Resource::Nofile);
    let in_use = std::fs::read_dir("/proc/self/fd").map_or(0, |fds| fds.count() as u64);
    OpenFiles {
        // `None` is unlimited.
        soft: now.current.unwrap_or(u64::MAX),
        hard: now.maximum,
        in_use,
    }
}

impl OpenFiles {
    /// Loopback connections this process can hold on top of the reserve, both ends counted.
    pub fn sockets_allowed(&self) -> usize {
        let free = self.soft.saturating_sub(self.in_use).saturating_sub(RESERVE) / 2;
        usize::try_from(free).unwrap_or(usize::MAX)
    }

    pub fn describe(&self) -> String {
        let hard = self.hard.map_or("unlimited".to_owned(), |h| h.to_string());
        format!(
            "open-files limit {} (hard {hard}), {} in use: room for {} loopback sockets, both ends in this \
             process, {RESERVE} descriptors kept back",
            self.soft,
            self.in_use,
            self.sockets_allowed()
        )
    }
}
