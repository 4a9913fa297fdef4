//! What a server does with each client: the [`Handler`] trait, called on
//! the client's own connection thread, and the [`Client`] it is given.

use std::net::SocketAddr;
use std::sync::Arc;

use tungstenite::Message;

use crate::http::{Request, Response};
use crate::hub::{ClientId, Hub, HubClosed, Target};

/// A server's behaviour: the echo, broadcast and chat modes are handlers,
/// and so is whatever you plug in with [`crate::Server::start`].
///
/// Every method runs on the client's connection thread, so a handler may
/// take its time (parse, look things up) without holding up other clients;
/// sending goes through the [`Hub`], which never blocks on a socket.
///
/// A closure `Fn(&Client, Message)` is a handler that only reacts to
/// messages:
///
/// ```
/// use wshub::{Client, Config, Message, Server};
///
/// # fn main() -> Result<(), wshub::StartError> {
/// let config = Config { port: 0, ..Config::default() };
/// let echo = |client: &Client, message: Message| {
///     let _ = client.reply(message);
/// };
/// let server = Server::start(config, echo)?;
/// println!("echoing on {}", server.local_addr());
/// server.shutdown();
/// # Ok(())
/// # }
/// ```
///
/// If a handler method panics, only that client's connection ends: it is
/// closed with 1011, and [`Handler::on_disconnect`] still runs for it.
pub trait Handler: Send + Sync + 'static {
    /// How the start-up log names this handler, such as "chat mode".
    fn name(&self) -> &str {
        "a custom handler"
    }

    /// A client asks to upgrade to WebSocket: accept it (`Ok`), or refuse it
    /// with the response to send instead. The request's path, query and
    /// headers are all there, so this is where your own authentication
    /// goes (it runs after the built-in `--token`/`--jwt-secret` and origin
    /// checks, which [`crate::auth::Auth`] does). Accepts by default.
    ///
    /// ```
    /// use wshub::http::{Request, Response};
    /// use wshub::{Client, Handler, Message};
    ///
    /// struct OnlyRoomPaths;
    ///
    /// impl Handler for OnlyRoomPaths {
    ///     fn on_upgrade(&self, request: &Request) -> Result<(), Response> {
    ///         if request.path().starts_with("/rooms/") {
    ///             Ok(())
    ///         } else {
    ///             Err(Response::error(404, "connect to /rooms/NAME"))
    ///         }
    ///     }
    ///
    ///     fn on_message(&self, client: &Client, message: Message) {
    ///         let _ = client.reply(message);
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// The refusal: its status and body go to the client, and the
    /// connection closes without an upgrade.
    fn on_upgrade(&self, request: &Request) -> Result<(), Response> {
        let _ = request;
        Ok(())
    }

    /// A plain HTTP request (not an upgrade) with its `body`: answer it
    /// with `Some(response)`, or `None` to leave it to the built-in routes
    /// (the API and the page). Your own routes, on the WebSocket's port, as
    /// an Express app has them. The built-in authentication does not guard
    /// them: check what you need here. Leaves every request by default.
    ///
    /// ```
    /// use wshub::http::{Request, Response};
    /// use wshub::{Client, Handler, Hub, Message, Target};
    ///
    /// struct Notifier;
    ///
    /// impl Handler for Notifier {
    ///     fn on_http(&self, request: &Request, body: &[u8], hub: &Hub) -> Option<Response> {
    ///         if (request.method.as_str(), request.path()) != ("POST", "/notify") {
    ///             return None;
    ///         }
    ///         let text = String::from_utf8_lossy(body).into_owned();
    ///         let reached = hub.send_counted(Target::All, Message::text(text)).unwrap_or(0);
    ///         Some(Response::text(200, &format!("sent to {reached} clients\n")))
    ///     }
    ///
    ///     fn on_message(&self, _: &Client, _: Message) {}
    /// }
    /// ```
    fn on_http(&self, request: &Request, body: &[u8], hub: &Hub) -> Option<Response> {
        let _ = (request, body, hub);
        None
    }

    /// A client has completed the WebSocket handshake and joined the hub.
    fn on_connect(&self, client: &Client) {
        let _ = client;
    }

    /// A text or binary message arrived from `client` (pings, pongs and
    /// close frames are answered by the server itself).
    fn on_message(&self, client: &Client, message: Message);

    /// The client has left the hub; its connection is closed or closing.
    fn on_disconnect(&self, client: &Client) {
        let _ = client;
    }

    /// Delivers a message from the server itself (the HTTP API's
    /// `POST /broadcast`, say) to `target`, in this handler's format, and
    /// returns how many clients it reached. By default it is sent as a
    /// plain text message; a handler with its own protocol wraps it.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    fn announce(&self, hub: &Hub, target: Target, text: &str) -> Result<usize, HubClosed> {
        hub.send_counted(target, Message::text(text))
    }
}

impl<F> Handler for F
where
    F: Fn(&Client, Message) + Send + Sync + 'static,
{
    fn on_message(&self, client: &Client, message: Message) {
        self(client, message)
    }
}

/// One connected client, as a [`Handler`] sees it.
#[derive(Debug, Clone)]
pub struct Client {
    id: ClientId,
    peer: SocketAddr,
    hub: Hub,
    identity: Option<Arc<str>>,
    path: Arc<str>,
}

impl Client {
    /// A client that upgraded with a request for `path`.
    pub(crate) fn new(id: ClientId, peer: SocketAddr, hub: Hub, path: &str) -> Self {
        Client {
            id,
            peer,
            hub,
            identity: None,
            path: path.into(),
        }
    }

    /// The same client, with the name its credential vouched for.
    pub(crate) fn with_identity(mut self, identity: Option<&str>) -> Self {
        self.identity = identity.map(Arc::from);
        self
    }

    /// The name the client proved with its JWT (the token's `sub` claim,
    /// else its `name` claim) when the server runs with `--jwt-secret`;
    /// `None` otherwise. Unlike a name a client picks for itself, this one
    /// cannot be forged.
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// The client's id, unique for the life of the server.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// The path of the request the client upgraded with (`/rooms/kitchen`,
    /// say), still percent-encoded, without the query: what Node's `ws`
    /// gives its `connection` handler as `req.url`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The hub, to reach other clients.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Sends `message` to this client.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn reply(&self, message: Message) -> Result<(), HubClosed> {
        self.hub.send(Target::One(self.id), message)
    }

    /// Closes this client's connection with `code` and `reason`.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), HubClosed> {
        self.hub.close(self.id, code, reason)
    }
}
