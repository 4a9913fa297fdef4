//! The `main` every example shares: logs on the terminal, the server on
//! `127.0.0.1:3000` (or `--port N`, `--bind ADDR`), a line saying where,
//! then serving until Ctrl-C.
#![allow(dead_code)] // Each example uses its own subset of these.

use std::net::SocketAddr;
use std::process::ExitCode;

use wshub::{Config, Hub, Server, StartError};

/// Turns on `info` logs (connects and disconnects), as the tutorials'
/// `console.log` lines.
fn log_to_terminal() {
    // Only fails if a logger is already set: then keep that one.
    let _ = simple_logger::SimpleLogger::new()
        .with_level(log::LevelFilter::Info)
        .init();
}

/// The default [`Config`] with `--port N` and `--bind ADDR` from the
/// command line, where given (other arguments are the example's own).
fn config_from_args() -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--port" => {
                config.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--bind" => {
                config.bind = Some(
                    value("--bind")?
                        .parse()
                        .map_err(|e| format!("--bind: {e}"))?,
                )
            }
            _ => {}
        }
    }
    Ok(config)
}

/// Starts the example's server, prints `banner(address)`, and serves
/// until Ctrl-C (SIGINT) or SIGTERM.
pub fn serve(
    start: impl FnOnce(Config) -> Result<Server, StartError>,
    banner: impl FnOnce(SocketAddr) -> String,
) -> ExitCode {
    log_to_terminal();
    let config = match config_from_args() {
        Ok(config) => config,
        Err(why) => {
            eprintln!("error: {why}");
            return ExitCode::FAILURE;
        }
    };
    let server = match start(config) {
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

/// Like [`serve`], and hands the lines typed into the server's terminal
/// to `read_lines` on a thread of its own (the chat and rooms examples
/// send them to clients).
pub fn serve_reading_terminal<R: Send + 'static>(
    start: impl FnOnce(Config) -> Result<Server, StartError>,
    banner: impl FnOnce(SocketAddr) -> String,
    read_lines: impl FnOnce(&Hub, std::io::StdinLock<'static>) -> R + Send + 'static,
) -> ExitCode {
    let start = |config| {
        let server = start(config)?;
        let hub = server.hub();
        std::thread::spawn(move || read_lines(&hub, std::io::stdin().lock()));
        Ok(server)
    };
    serve(start, banner)
}
