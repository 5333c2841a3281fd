//! What a benchmark run cost the machine, measured from the kernel's own counters:
//!
//! - **The server's CPU.** The load generator runs on a runtime of its own whose threads are
//!   named [`CLIENT_THREAD`]; the server's CPU is the process's (`/proc/self/stat`, which
//!   includes threads that have ended) minus those threads' (`/proc/self/task/*/stat`). So
//!   the figure holds everything the server does — HTTP, the use case, SQLite on the runtime's
//!   threads, the checkpointer's and the blocking pool's threads — and nothing the clients do.
//!   (On PostgreSQL the database's own processes are not in it.)
//! - **Disk cache flushes.** The "flush requests completed" counter of the block device that
//!   holds the data (`/sys/dev/block/M:m/stat`, field 16; for a partition, its disk's): every
//!   `fsync`/`fdatasync` that reaches the disk is one or more of these (the filesystem's
//!   journal commit may add one). It is the whole machine's: run on a quiet machine.
//! - **The writer's busy share.** On SQLite, the share of the wall time during which a write
//!   transaction held the one writer (`Store::writer_busy`): near 1, the writer is what
//!   bounds the rate, whatever cores stay idle.

use std::path::Path;
use std::time::Instant;

/// The name of the load generator's threads.
pub const CLIENT_THREAD: &str = "bench-client";

/// Clock ticks per second of `/proc` CPU times (USER_HZ, fixed at 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// The counters at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    at: Instant,
    /// CPU seconds of the whole process.
    process: f64,
    /// CPU seconds of the load generator's threads.
    clients: f64,
    /// Flush requests completed by the disk, if found.
    flushes: Option<u64>,
    /// Time the store's one writer has been held (SQLite).
    writer: Option<std::time::Duration>,
}

/// The cost of one run, from two [`Usage`]s.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub wall: f64,
    pub server_cpu: f64,
    /// CPU seconds of the load generator's threads (sharing the machine's cores).
    pub client_cpu: f64,
    pub flushes: Option<u64>,
    /// Seconds the store's one writer was held (SQLite).
    pub writer: Option<f64>,
}

impl Spent {
    /// Cores the server kept busy on average.
    pub fn cores(&self) -> f64 {
        self.server_cpu / self.wall.max(1e-9)
    }

    /// `server ms/op, cores, flushes/op, the load generator's cores, the writer's busy share`
    /// as five columns (`?` where not known).
    pub fn columns(&self, ops: usize) -> String {
        let ops = ops.max(1) as f64;
        let flushes = self.flushes.map_or("       ?".to_string(), |f| {
            format!("{:>8.3}", f as f64 / ops)
        });
        let writer = self.writer.map_or("     ?".to_string(), |w| {
            format!("{:>6.2}", w / self.wall.max(1e-9))
        });
        format!(
            "{:>9.3} {:>6.2} {flushes} {:>7.2} {writer}",
            self.server_cpu * 1000.0 / ops,
            self.cores(),
            self.client_cpu / self.wall.max(1e-9)
        )
    }
}

/// The header of [`Spent::columns`].
pub const COLUMNS: &str = "cpu ms/op  cores flush/op clients writer";

/// CPU seconds (user + system) in a `/proc/…/stat` line, and the thread's name.
fn stat_cpu(line: &str) -> Option<(&str, f64)> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let name = &line[open + 1..close];
    let fields: Vec<&str> = line[close + 1..].split_whitespace().collect();
    // After the name: state is field 3 of the line, utime 14 and stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((name, (utime + stime) / TICKS_PER_SEC))
}

/// The `stat` file of the disk holding `path` (a partition's parent disk).
pub fn disk_stat_file(path: &Path) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let dev = std::fs::metadata(path).ok()?.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let dir = std::path::PathBuf::from(format!("/sys/dev/block/{major}:{minor}"));
    let dir = if dir.join("partition").exists() {
        dir.join("..")
    } else {
        dir
    };
    let file = dir.join("stat");
    file.exists().then_some(file)
}

fn flushes(stat: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(stat).ok()?;
    text.split_whitespace().nth(15)?.parse().ok()
}

impl Usage {
    /// The counters now; `disk`: from [`disk_stat_file`]; `writer`: the store's
    /// `writer_busy`.
    pub fn now(disk: Option<&Path>, writer: Option<std::time::Duration>) -> Self {
        let process = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|l| stat_cpu(&l).map(|(_, cpu)| cpu))
            .unwrap_or(0.0);
        let mut clients = 0.0;
        if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
            for task in tasks.flatten() {
                if let Ok(line) = std::fs::read_to_string(task.path().join("stat")) {
                    if let Some((name, cpu)) = stat_cpu(&line) {
                        if name.starts_with(CLIENT_THREAD) {
                            clients += cpu;
                        }
                    }
                }
            }
        }
        Self {
            at: Instant::now(),
            process,
            clients,
            flushes: disk.and_then(flushes),
            writer,
        }
    }

    /// What was spent since `self`.
    pub fn since(&self, disk: Option<&Path>, writer: Option<std::time::Duration>) -> Spent {
        let now = Self::now(disk, writer);
        Spent {
            wall: now.at.duration_since(self.at).as_secs_f64(),
            server_cpu: ((now.process - self.process) - (now.clients - self.clients)).max(0.0),
            client_cpu: (now.clients - self.clients).max(0.0),
            flushes: match (self.flushes, now.flushes) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                _ => None,
            },
            writer: match (self.writer, now.writer) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
                _ => None,
            },
        }
    }
}

/// A runtime for the load generator, on threads of its own (named [`CLIENT_THREAD`]) so the
/// server's CPU can be told apart from the clients'.
pub fn client_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_threads_name_and_cpu() {
        let line = "1234 (tokio-runtime-w) S 1 1234 1234 0 -1 4194368 100 0 0 0 250 75 0 0 20 0 4 0 100 0 0";
        assert_eq!(stat_cpu(line), Some(("tokio-runtime-w", 3.25)));
        // A name with a space and parentheses.
        let line = "7 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 1 0 0";
        assert_eq!(stat_cpu(line), Some(("a (b) c", 0.3)));
    }

    #[test]
    fn the_server_cpu_excludes_the_client_threads() {
        let rt = client_runtime().unwrap();
        let before = Usage::now(None, None);
        // Spin on a client thread for a while: it must not count as the server's.
        rt.block_on(async {
            tokio::spawn(async {
                let t = Instant::now();
                let mut x = 0u64;
                while t.elapsed().as_millis() < 300 {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            })
            .await
            .unwrap();
        });
        let spent = before.since(None, None);
        rt.shutdown_background();
        assert!(spent.wall >= 0.3);
        assert!(
            spent.server_cpu < 0.15,
            "server CPU {} s while only a client thread worked",
            spent.server_cpu
        );
        assert!(
            spent.client_cpu >= 0.2,
            "the client thread's {} s of CPU counted as the load generator's",
            spent.client_cpu
        );
    }
}
