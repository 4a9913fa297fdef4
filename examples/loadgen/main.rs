//! wshub's load generator: WebSocket subscribers and publishers against
//! any broadcast server, and a report of deliveries per second, latency,
//! lost messages, and the server's CPU time and memory.
//!
//! ```text
//! cargo run --release --example loadgen -- --url ws://127.0.0.1:3000/ \
//!     --subscribers 1000 --publishers 1 --size 64 --pid $(pidof wshub)
//! cargo run --release --example loadgen -- --serve-raw 127.0.0.1:4000
//! cargo run --release --example loadgen -- --summarize results.jsonl
//! ```
//!
//! Each message is a binary frame carrying the publisher's id, a sequence
//! number and the send time, so a subscriber can tell latency and gaps;
//! other frames (a welcome text) are ignored. `--serve-raw` runs the raw
//! TCP fan-out ceiling (see `raw.rs`); `--summarize` turns the JSON lines
//! of `examples/bench/compare.sh` into its table (see `summary.rs`).

mod histogram;
mod procfs;
mod proto;
mod raw;
mod report;
mod run;
mod summary;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use rustix::process::{getrlimit, setrlimit, Resource};

/// Load generator for WebSocket broadcast servers: many subscribers, some
/// of them publishing; deliveries/s, latency, losses, server CPU and memory.
#[derive(Debug, Parser)]
struct Args {
    /// Server to load.
    #[arg(long, default_value = "ws://127.0.0.1:3000/")]
    url: String,
    /// Connections; every one receives every message.
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    /// How many of the subscribers also publish.
    #[arg(long, default_value_t = 1)]
    publishers: usize,
    /// Message payload in bytes (at least 24: id, sequence, send time).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(24..=(16 << 20)))]
    size: u64,
    /// Messages per second per publisher; 0 = as fast as the window allows.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// At rate 0: messages in flight (not yet received by every subscriber).
    #[arg(long, default_value_t = 256)]
    window: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before the measured window.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// After the window, seconds without any delivery before what has not
    /// arrived is counted lost.
    #[arg(long, default_value_t = 5.0)]
    drain: f64,
    /// Handshakes in progress at once while connecting.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// The server's process id: report its CPU time per delivery, memory
    /// and threads from /proc.
    #[arg(long)]
    pid: Option<u32>,
    /// Scenario name written into the JSON line.
    #[arg(long)]
    scenario: Option<String>,
    /// Server name written into the JSON line.
    #[arg(long)]
    server_name: Option<String>,
    /// Also append the JSON line to this file.
    #[arg(long)]
    append_json: Option<PathBuf>,
    /// Instead of loading a server, be the raw TCP fan-out ceiling on this address.
    #[arg(long, value_name = "ADDR")]
    serve_raw: Option<SocketAddr>,
    /// Instead of loading a server, print the comparison table of these JSON lines.
    #[arg(long, value_name = "FILE")]
    summarize: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    raise_fd_limit();
    if let Some(addr) = args.serve_raw {
        return match raw::bind(addr).and_then(raw::serve) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&format!("raw fan-out: {err}")),
        };
    }
    if let Some(path) = &args.summarize {
        return match std::fs::read_to_string(path) {
            Ok(text) => {
                let _ = write!(io::stdout(), "{}", summary::render(&text));
                ExitCode::SUCCESS
            }
            Err(err) => fail(&format!("{}: {err}", path.display())),
        };
    }
    let opts = run::Options {
        url: args.url,
        subscribers: args.subscribers,
        publishers: args.publishers.min(args.subscribers),
        size: args.size as usize,
        rate: args.rate.max(0.0),
        window: args.window.max(1),
        warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
        duration: Duration::from_secs_f64(args.duration.max(0.001)),
        drain: Duration::from_secs_f64(args.drain.max(0.0)),
        connect_concurrency: args.connect_concurrency.max(1),
        connect_timeout: Duration::from_secs(10),
        settle: Duration::from_millis(500),
        pid: args.pid,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the runtime: {err}")),
    };
    let outcome = match tokio::task::LocalSet::new().block_on(&runtime, run::run(&opts)) {
        Ok(outcome) => outcome,
        Err(err) => return fail(&err.to_string()),
    };
    let labels = report::Labels {
        scenario: args.scenario,
        server: args.server_name,
    };
    let json = report::json(&opts, &labels, &outcome);
    // A closed stdout (`| head`) must not stop the JSON line reaching the file.
    let _ = writeln!(io::stdout(), "{}{json}", report::table(&json));
    if let Some(path) = &args.append_json {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| writeln!(file, "{json}"));
        if let Err(err) = appended {
            return fail(&format!("{}: {err}", path.display()));
        }
    }
    ExitCode::SUCCESS
}

/// Every connection needs a file descriptor: raise the soft limit to the
/// hard one, which a shell's default (often 1,024) keeps far below.
fn raise_fd_limit() {
    let limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let _ = setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            },
        );
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("loadgen: {message}");
    ExitCode::FAILURE
}
