//! Plain HTTP requests: the one place that decides what answers each of
//! them — the HTTP API (broadcast, clients, stats, health), or else a
//! static file.
//!
//! | route | methods | answer |
//! |-------|---------|--------|
//! | `/broadcast` | POST | text, JSON `{"message": ...}`, or any JSON as its text, to every client |
//! | `/broadcast/:message` | GET, POST | the percent-decoded `message` to every client |
//! | `/clients/:id/messages` | POST | text or JSON `{"message": ...}` to one client |
//! | `/rooms/:room/messages` | POST | text or JSON `{"message": ...}` to one room's members |
//! | `/clients` | GET, HEAD | the connected clients, with their names and rooms |
//! | `/rooms` | GET, HEAD | the rooms and how many members each has |
//! | `/stats` | GET, HEAD | the hub's counters and the uptime |
//! | `/healthz` | GET, HEAD | `ok` |
//!
//! Messages go out through [`crate::Handler::announce`], so each mode
//! wraps them in its own format.

use log::{debug, warn};
use serde_json::{json, Value};

use super::Context;
use crate::http::{percent_decode, Request, Response};
use crate::hub::{ClientId, Hub, HubClosed, Room, Target};
use crate::plural::plural;

/// The answer to a plain (not WebSocket) HTTP request with its `body`;
/// what it sends goes through `hub` (the connection's publisher handle).
pub(crate) fn respond(ctx: &Context, hub: &Hub, request: &Request, body: &[u8]) -> Response {
    // The handler's own routes come first, as an Express app's would.
    if let Some(response) = ctx.handler.on_http(request, body, hub) {
        return response;
    }
    let path = request.path();
    if ctx.config.ws_path.as_deref() == Some(path) {
        return Response::error(426, "this path speaks WebSocket: connect with ws://")
            .with_header("Upgrade", "websocket");
    }
    let Some(route) = Route::find(path) else {
        return ctx.files.serve(request);
    };
    // Every API request passes here, and nothing else does. With --token or
    // --jwt-secret the API needs the same credential as an upgrade (and a
    // listed Origin, if any is set); only the health check stays open,
    // like the page and the static files.
    if route != Route::Healthz {
        if let Err(refusal) = ctx.config.auth.check(request) {
            warn!(
                "API {} {} refused with {}: {}",
                request.method,
                request.path(),
                refusal.status,
                String::from_utf8_lossy(&refusal.body)
            );
            return refusal;
        }
    }
    if !route.allows(&request.method) {
        return Response::error(405, &format!("{} is not allowed here", request.method))
            .with_header("Allow", route.allowed_methods());
    }
    route
        .handle(ctx, hub, request, body)
        .unwrap_or_else(|refusal| refusal)
}

/// An API route, with the raw (still percent-encoded) path parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Broadcast,
    BroadcastPath(&'a str),
    ClientMessages(&'a str),
    RoomMessages(&'a str),
    Clients,
    Rooms,
    Stats,
    Healthz,
}

impl<'a> Route<'a> {
    /// The API route for `path`, or `None` for a static file.
    fn find(path: &'a str) -> Option<Route<'a>> {
        let route = match path {
            "/broadcast" => Route::Broadcast,
            "/clients" => Route::Clients,
            "/rooms" => Route::Rooms,
            "/stats" => Route::Stats,
            "/healthz" => Route::Healthz,
            _ => {
                if let Some(message) = path.strip_prefix("/broadcast/") {
                    Route::BroadcastPath(message)
                } else if let Some(id) = path.strip_prefix("/clients/") {
                    Route::ClientMessages(id.strip_suffix("/messages")?)
                } else {
                    let room = path.strip_prefix("/rooms/")?.strip_suffix("/messages")?;
                    Route::RoomMessages(room)
                }
            }
        };
        match route {
            // One path segment each, as in `/broadcast/:message`.
            Route::BroadcastPath(p) | Route::ClientMessages(p) | Route::RoomMessages(p)
                if p.contains('/') =>
            {
                None
            }
            route => Some(route),
        }
    }

    /// The methods this route answers, as the `Allow` header lists them.
    /// HEAD is left out where GET has an effect (a broadcast).
    fn allowed_methods(self) -> &'static str {
        match self {
            Route::Broadcast | Route::ClientMessages(_) | Route::RoomMessages(_) => "POST",
            Route::BroadcastPath(_) => "GET, POST",
            Route::Clients | Route::Rooms | Route::Stats | Route::Healthz => "GET, HEAD",
        }
    }

    fn allows(self, method: &str) -> bool {
        self.allowed_methods().split(", ").any(|m| m == method)
    }

    fn handle(
        self,
        ctx: &Context,
        hub: &Hub,
        request: &Request,
        body: &[u8],
    ) -> Result<Response, Response> {
        match self {
            Route::Broadcast => announce(ctx, hub, Target::All, message_in_body(request, body)?),
            Route::BroadcastPath(raw) => {
                let message = percent_decode(raw)
                    .ok_or_else(|| bad_request("the message is not valid percent-encoded UTF-8"))?;
                announce(ctx, hub, Target::All, non_empty(message)?)
            }
            Route::ClientMessages(raw) => {
                let id = raw.parse().map(ClientId).map_err(|_| no_such_client(raw))?;
                announce(ctx, hub, Target::One(id), message_in_body(request, body)?)
            }
            Route::RoomMessages(raw) => {
                let room = percent_decode(raw)
                    .filter(|room| !room.is_empty())
                    .ok_or_else(|| bad_request("the room is not valid percent-encoded UTF-8"))?;
                let target = Target::Room(Room::from(room));
                announce(ctx, hub, target, message_in_body(request, body)?)
            }
            Route::Rooms => {
                let rooms = ctx.hub.rooms().map_err(shutting_down)?;
                let list: Vec<Value> = rooms
                    .iter()
                    .map(|r| json!({ "room": r.room.as_str(), "members": r.members }))
                    .collect();
                Ok(Response::json(200, &Value::Array(list)))
            }
            Route::Clients => {
                let clients = ctx.hub.clients().map_err(shutting_down)?;
                let list: Vec<Value> = clients
                    .iter()
                    .map(|c| {
                        let since_epoch = c.connected_at.duration_since(std::time::UNIX_EPOCH);
                        json!({
                            "id": c.id.0,
                            "peer": c.peer.to_string(),
                            "connected_at": since_epoch.map(|d| d.as_millis() as u64).unwrap_or(0),
                            "name": c.name,
                            "rooms": c.rooms.iter().map(Room::as_str).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                Ok(Response::json(200, &Value::Array(list)))
            }
            Route::Stats => {
                let stats = ctx.hub.stats();
                Ok(Response::json(
                    200,
                    &json!({
                        "clients": stats.clients,
                        "clients_total": stats.clients_total,
                        "messages_in": stats.messages_in,
                        "messages_out": stats.messages_out,
                        "bytes_out": stats.bytes_out,
                        "evictions": stats.evictions,
                        "publishers_paused": stats.publishers_paused,
                        "turned_away": ctx.admission.turned_away(),
                        "uptime_secs": ctx.started.elapsed().as_secs(),
                    }),
                ))
            }
            Route::Healthz => Ok(Response::text(200, "ok")),
        }
    }
}

/// Sends `text` to `target` in the mode's format and reports how many
/// clients it reached; a client or room that reaches nobody is `404`.
fn announce(ctx: &Context, hub: &Hub, target: Target, text: String) -> Result<Response, Response> {
    let recipients = ctx
        .handler
        .announce(hub, target.clone(), &text)
        .map_err(shutting_down)?;
    debug!(
        "HTTP API: {} to {} ({target:?})",
        plural(text.len(), "byte"),
        plural(recipients, "client")
    );
    match (target, recipients) {
        (Target::One(id), 0) => Err(no_such_client(&id.to_string())),
        (Target::Room(room), 0) => Err(Response::error(404, &format!("no room {room:?}"))),
        (Target::Room(room), _) => Ok(Response::json(
            200,
            &json!({ "message": text, "room": room.as_str(), "recipients": recipients }),
        )),
        _ => Ok(Response::json(
            200,
            &json!({ "message": text, "recipients": recipients }),
        )),
    }
}

/// The message a POST carries, when the Content-Type says JSON: the
/// string `message` of an object, and any other JSON (`{"hello":"world"}`,
/// as one tutorial broadcasts) as its compact JSON text. Otherwise the
/// whole body as text.
fn message_in_body(request: &Request, body: &[u8]) -> Result<String, Response> {
    let media_type = request
        .header("Content-Type")
        .and_then(|value| value.split(';').next())
        .map(|media_type| media_type.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let message = if media_type == "application/json" || media_type.ends_with("+json") {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| bad_request(&format!("invalid JSON: {e}")))?;
        match value.get("message") {
            Some(Value::String(message)) => message.clone(),
            _ => value.to_string(),
        }
    } else {
        String::from_utf8(body.to_vec()).map_err(|_| bad_request("the body must be UTF-8 text"))?
    };
    non_empty(message)
}

fn non_empty(message: String) -> Result<String, Response> {
    if message.is_empty() {
        Err(bad_request(
            "empty message: send it as the body, or as JSON {\"message\": ...}",
        ))
    } else {
        Ok(message)
    }
}

fn bad_request(why: &str) -> Response {
    Response::error(400, why)
}

fn no_such_client(id: &str) -> Response {
    Response::error(404, &format!("no client with id {id}"))
}

fn shutting_down(_: HubClosed) -> Response {
    Response::error(503, "the server is shutting down")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_routes() {
        assert_eq!(Route::find("/broadcast"), Some(Route::Broadcast));
        assert_eq!(
            Route::find("/broadcast/hi%20there"),
            Some(Route::BroadcastPath("hi%20there"))
        );
        assert_eq!(
            Route::find("/clients/7/messages"),
            Some(Route::ClientMessages("7"))
        );
        assert_eq!(
            Route::find("/rooms/ops%20team/messages"),
            Some(Route::RoomMessages("ops%20team"))
        );
        assert_eq!(Route::find("/rooms"), Some(Route::Rooms));
        assert_eq!(Route::find("/stats"), Some(Route::Stats));
        assert_eq!(Route::find("/rooms/a/b/messages"), None);
        assert_eq!(Route::find("/broadcast/a/b"), None);
        assert_eq!(Route::find("/clients/7/8/messages"), None);
        assert_eq!(Route::find("/index.html"), None);
    }

    #[test]
    fn head_is_allowed_only_where_get_has_no_effect() {
        assert!(Route::Stats.allows("HEAD"));
        assert!(Route::BroadcastPath("x").allows("GET"));
        assert!(!Route::BroadcastPath("x").allows("HEAD"));
        assert!(!Route::Broadcast.allows("GET"));
    }
}
