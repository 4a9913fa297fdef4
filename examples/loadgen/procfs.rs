//! A process's CPU time, memory and thread count, from `/proc`.

use std::fs;

/// What `/proc/PID` tells about a process at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// User plus system CPU time of all its threads, in ns (clock-tick
    /// resolution: 10 ms on Linux).
    pub cpu_ns: u64,
    /// Resident memory, in KiB.
    pub rss_kib: u64,
    /// Threads.
    pub threads: u64,
}

/// Reads a sample of process `pid` ("self" for this process); `None` if
/// the process is gone.
pub fn sample(pid: &str) -> Option<Sample> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: fields are counted from
    // the closing parenthesis. utime and stime are fields 14 and 15.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let tick_ns = 1_000_000_000 / rustix::param::clock_ticks_per_second();

    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some(Sample {
        cpu_ns: (utime + stime) * tick_ns,
        rss_kib: field("VmRSS:")?,
        threads: field("Threads:")?,
    })
}

/// CPU time all cores have spent busy since boot, in ns (`/proc/stat`:
/// user, nice, system, irq, softirq and steal time).
pub fn machine_busy_ns() -> Option<u64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|t| t.parse().unwrap_or(0))
        .collect();
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum();
    Some(busy * (1_000_000_000 / rustix::param::clock_ticks_per_second()))
}

/// Memory the whole machine could still give programs (`MemAvailable` of
/// `/proc/meminfo`), in KiB: unlike RSS, it also drops by what the kernel
/// spends for a process (thread stacks in the kernel, socket buffers,
/// page tables).
pub fn mem_available_kib() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_can_be_sampled() {
        let s = super::sample("self").expect("/proc/self is readable");
        assert!(s.rss_kib > 0 && s.threads >= 1);
        assert!(super::machine_busy_ns().is_some());
        assert!(super::mem_available_kib().is_some_and(|kib| kib > 0));
    }
}
