//! The `main` every example shares: logs on the terminal, the server on
//! `127.0.0.1:3000`, a line saying where, then serving until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;

use wshub::{Config, Server, StartError};

/// Turns on `info` logs (connects and disconnects), as the tutorials'
/// `console.log` lines.
fn log_to_terminal() {
    // Only fails if a logger is already set: then keep that one.
    let _ = simple_logger::SimpleLogger::new()
        .with_level(log::LevelFilter::Info)
        .init();
}

/// Starts the example's server with the default [`Config`], prints
/// `banner(address)`, and serves until Ctrl-C (SIGINT) or SIGTERM.
pub fn serve(
    start: impl FnOnce(Config) -> Result<Server, StartError>,
    banner: impl FnOnce(SocketAddr) -> String,
) -> ExitCode {
    log_to_terminal();
    let server = match start(Config::default()) {
        Ok(server) => server,
        Err(err) => return fail(&err),
    };
    println!("{}  (Ctrl-C to stop)", banner(server.local_addr()));
    match server.wait() {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

/// Says why the example stopped.
fn fail(err: &dyn std::error::Error) -> ExitCode {
    eprintln!("error: {err}");
    ExitCode::FAILURE
}
