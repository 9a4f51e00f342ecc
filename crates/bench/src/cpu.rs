//! CPU time of this process (client and server together, since both run here), from Linux's
//! `/proc/self/stat`: over a run, it tells a CPU-bound run (near the machine's cores) from one
//! waiting on the disk. Also another process's (`scale-out`'s nodes) and the whole machine's.

use std::time::Duration;

/// Linux reports `utime` and `stime` in USER_HZ ticks, 100 a second on every mainstream
/// architecture (the kernel ABI fixes it, whatever CONFIG_HZ is).
const TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time so far; `None` where `/proc` is not available.
pub fn process_cpu() -> Option<Duration> {
    cpu_of("self")
}

/// The same for another process (a node of `scale-out`), by its id.
pub fn pid_cpu(pid: u32) -> Option<Duration> {
    cpu_of(&pid.to_string())
}

/// Busy time of the whole machine so far, summed over its cores (everything but idle and
/// waiting for I/O), from `/proc/stat`.
pub fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...: all but idle (3) and iowait (4).
    let busy: u64 = fields
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, ticks)| ticks)
        .sum();
    Some(Duration::from_millis(busy * 1000 / TICKS_PER_SECOND))
}

fn cpu_of(process: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{process}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the whole line are utime and stime: 11 and 12 after the name.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// "N.NN of M cores" used between two readings `elapsed` apart.
pub fn describe(before: Option<Duration>, after: Option<Duration>, elapsed: std::time::Duration) -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    match (before, after) {
        (Some(b), Some(a)) => {
            format!(
                "{:.2} of {cores} cores",
                a.saturating_sub(b).as_secs_f64() / elapsed.as_secs_f64().max(1e-9)
            )
        }
        _ => "unknown".to_owned(),
    }
}
