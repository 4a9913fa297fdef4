//! Why a server could not start: [`StartError`], shared by the accept
//! side's binding (`listen.rs`) and [`crate::Server::start`].

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// Why a server could not start: the configuration, or the operating
/// system, refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// A setting is out of range: the message names it. Fix the
    /// configuration (or the flag of the same name).
    Config(String),
    /// The address cannot be listened on: another program holds the port,
    /// or the address is not this machine's. Choose another `bind` or
    /// `port` (`--bind`, `--port`).
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// The operating system refused something else the server needs, such
    /// as a thread.
    Os(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(why) => write!(f, "invalid configuration: {why}"),
            StartError::Bind { addr, source } if source.kind() == io::ErrorKind::AddrInUse => {
                write!(
                    f,
                    "cannot listen on {addr}: the address is in use (another program, or \
                     another wshub, holds port {}; choose another with --port)",
                    addr.port()
                )
            }
            StartError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            StartError::Os(err) => write!(f, "the operating system refused: {err}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Config(_) => None,
            StartError::Bind { source, .. } | StartError::Os(source) => Some(source),
        }
    }
}

impl From<io::Error> for StartError {
    fn from(err: io::Error) -> Self {
        StartError::Os(err)
    }
}
