//! Who may open a WebSocket (and, once wired, call the HTTP API): a shared
//! token (`--token`) or an HS256 JWT (`--jwt-secret`), and which pages may
//! connect from a browser (`--allowed-origin`).
//!
//! [`Auth::check`] is the one entry point. It looks at a request head only,
//! so the caller decides which requests need it: the WebSocket upgrade does,
//! and so should the HTTP API routes; the page and static files do not.
//!
//! A credential may be sent in three places, because each kind of client
//! can use a different one: `Authorization: Bearer` (scripts, curl,
//! wscat), `?token=` (or `?access_token=`) in the URL (a browser's
//! `new WebSocket(url)` cannot set headers) and a `wshub_token` cookie (a page served from the same host).
//! Secrets never reach a log line or an error body.

use std::fmt;

use jsonwebtoken::errors::ErrorKind as JwtError;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::http::{percent_decode_lenient, Request, Response};

/// The cookie that may carry the credential.
pub const COOKIE: &str = "wshub_token";
/// The query parameter that may carry the credential.
pub const QUERY_PARAM: &str = "token";
/// The other name the query parameter is accepted under: `ws`'s
/// documentation reads `location.query.access_token`, so tutorials use it.
pub const QUERY_PARAM_ALIAS: &str = "access_token";

/// A secret string (a token or a JWT key) whose `Debug` output hides it, so
/// that printing a [`crate::Config`] cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Who may connect. The default lets everyone in, as the tutorials do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// `--token`: every checked request must carry exactly this token.
    /// Default none.
    pub token: Option<Secret>,
    /// `--jwt-secret`: every checked request must carry a JWT signed with
    /// this key (HS256), currently valid (`exp` required, `nbf` honoured,
    /// 60 s of leeway for clock skew). Default none.
    pub jwt_secret: Option<Secret>,
    /// `--allowed-origin`: when not empty, a request whose `Origin` header
    /// is present and not in this list is refused with 403. Entries are
    /// origins as browsers send them: `scheme://host[:port]`, no path.
    /// Default empty (any origin).
    pub allowed_origins: Vec<String>,
}

/// Who passed [`Auth::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No credential is required (neither a token nor a JWT key is set).
    Anonymous,
    /// The request carried the shared token.
    TokenHolder,
    /// The request carried a valid JWT; `name` is its `sub` claim, or its
    /// `name` claim when there is no `sub`.
    Jwt {
        /// The name the token vouches for, if it names anyone.
        name: Option<String>,
    },
}

impl Identity {
    /// The name a JWT vouched for, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Identity::Jwt { name } => name.as_deref(),
            Identity::Anonymous | Identity::TokenHolder => None,
        }
    }
}

/// The JWT claims we read; `exp` and `nbf` are checked by `jsonwebtoken`.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    name: Option<String>,
}

impl Auth {
    /// Checks the settings: no empty secret, not both kinds of secret, and
    /// origins in the form browsers send.
    ///
    /// # Errors
    ///
    /// A message naming the flag that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.token.as_ref().is_some_and(|t| t.0.is_empty()) {
            return Err("token must not be empty".into());
        }
        if self.jwt_secret.as_ref().is_some_and(|t| t.0.is_empty()) {
            return Err("jwt-secret must not be empty".into());
        }
        if self.token.is_some() && self.jwt_secret.is_some() {
            return Err("token and jwt-secret are alternatives: set one".into());
        }
        if let Some(origin) = self.allowed_origins.iter().find(|o| !is_origin(o)) {
            return Err(format!(
                "allowed-origin {origin:?} is not an origin: write scheme://host[:port], as in http://192.168.1.20:3000"
            ));
        }
        Ok(())
    }

    /// Decides whether `request` may proceed: first its `Origin` (403 when
    /// it is present and not allowed), then its credential (401 when one is
    /// required and none is valid). Credentials are looked for in the
    /// `Authorization: Bearer` header, the `token` query parameter
    /// (percent-decoded) and the `wshub_token` cookie; the first valid one
    /// wins.
    ///
    /// # Errors
    ///
    /// The response to send instead: `403` or `401` (with
    /// `WWW-Authenticate: Bearer`), each with a short JSON body that says
    /// what is wrong and never contains a secret.
    pub fn check(&self, request: &Request) -> Result<Identity, Response> {
        self.check_origin(request)?;
        if self.token.is_none() && self.jwt_secret.is_none() {
            return Ok(Identity::Anonymous);
        }
        let mut first_failure = None;
        for credential in credentials(request) {
            match self.verify(&credential) {
                Ok(identity) => return Ok(identity),
                Err(why) => {
                    first_failure.get_or_insert(why);
                }
            }
        }
        let why = first_failure.unwrap_or(
            "credentials required: send the token as ?token= (or ?access_token=), an Authorization: Bearer header or a wshub_token cookie",
        );
        Err(Response::error(401, why).with_header("WWW-Authenticate", "Bearer realm=\"wshub\""))
    }

    fn check_origin(&self, request: &Request) -> Result<(), Response> {
        if self.allowed_origins.is_empty() {
            return Ok(());
        }
        let Some(origin) = request.header("Origin").map(str::trim) else {
            // Browsers always send Origin on a WebSocket upgrade; a client
            // without one (a script, wscat) carries no ambient cookies
            // from another site, so there is nothing to protect against.
            return Ok(());
        };
        let allowed = self
            .allowed_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin));
        if allowed {
            Ok(())
        } else {
            Err(Response::error(
                403,
                &format!("origin {origin} is not allowed (see --allowed-origin)"),
            ))
        }
    }

    /// Checks one credential against whichever secret is set; the error is
    /// the reason to give the client.
    fn verify(&self, credential: &[u8]) -> Result<Identity, &'static str> {
        match (&self.token, &self.jwt_secret) {
            (Some(token), _) => verify_token(credential, token),
            (None, Some(key)) => verify_jwt(credential, key),
            (None, None) => Ok(Identity::Anonymous),
        }
    }
}

/// Compares in constant time, so that response timing does not reveal how
/// many leading bytes of a guess were right. (Only a length mismatch
/// returns early; the length is no secret worth hiding.)
fn verify_token(credential: &[u8], token: &Secret) -> Result<Identity, &'static str> {
    if bool::from(credential.ct_eq(token.0.as_bytes())) {
        Ok(Identity::TokenHolder)
    } else {
        Err("invalid token")
    }
}

/// Verifies an HS256 JWT's signature (in constant time, inside
/// `jsonwebtoken`), its `exp` (required) and its `nbf` (if present).
fn verify_jwt(credential: &[u8], key: &Secret) -> Result<Identity, &'static str> {
    let jwt = std::str::from_utf8(credential).map_err(|_| "malformed token")?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_nbf = true;
    // We configure no audience, so an `aud` claim is not ours to judge.
    validation.validate_aud = false;
    let key = DecodingKey::from_secret(key.0.as_bytes());
    match jsonwebtoken::decode::<Claims>(jwt, &key, &validation) {
        Ok(data) => Ok(Identity::Jwt {
            name: data.claims.sub.or(data.claims.name),
        }),
        Err(err) => Err(match err.kind() {
            JwtError::ExpiredSignature => "token expired",
            JwtError::ImmatureSignature => "token not valid yet (nbf)",
            JwtError::InvalidSignature => "token signature does not verify",
            JwtError::InvalidAlgorithm => "token must be signed with HS256",
            JwtError::MissingRequiredClaim(_) => "token has no exp claim",
            _ => "malformed token",
        }),
    }
}

/// True for `scheme://host[:port]` (a trailing `/` tolerated) and for
/// `null`, the origin of sandboxed frames and local files.
fn is_origin(origin: &str) -> bool {
    if origin == "null" {
        return true;
    }
    let Some((scheme, host)) = origin.split_once("://") else {
        return false;
    };
    let host = host.strip_suffix('/').unwrap_or(host);
    !scheme.is_empty() && !host.is_empty() && !host.contains(['/', '?', '#'])
}

/// Every credential the request carries, in the order they are tried:
/// `Authorization: Bearer`, `?token=` or `?access_token=`, the
/// `wshub_token` cookie.
fn credentials(request: &Request) -> Vec<Vec<u8>> {
    let headers = |name: &'static str| {
        request
            .headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let bearer = headers("Authorization").filter_map(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().as_bytes().to_vec())
    });
    let query = request
        .query()
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| *name == QUERY_PARAM || *name == QUERY_PARAM_ALIAS)
        .map(|(_, value)| percent_decode_lenient(value));
    let cookie = headers("Cookie")
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .map(|(_, value)| {
            // RFC 6265 allows a cookie value in double quotes.
            let value = value.trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            unquoted.as_bytes().to_vec()
        });
    bearer.chain(query).chain(cookie).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_head;

    fn request(target: &str, headers: &str) -> Request {
        let text = format!("GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
        parse_head(&mut text.into_bytes()).unwrap().unwrap()
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode_lenient("a%20b%2Bc+d"), b"a b+c+d");
        assert_eq!(percent_decode_lenient("%zz%4"), b"%zz%4");
        assert_eq!(percent_decode_lenient("%e2%82%ac"), "€".as_bytes());
    }

    #[test]
    fn credentials_are_found_in_order() {
        let req = request(
            "/chat?x=1&token=q%2Fq",
            "Cookie: a=b; wshub_token=\"c\"\r\nAuthorization: Bearer  h \r\n",
        );
        assert_eq!(
            credentials(&req),
            vec![b"h".to_vec(), b"q/q".to_vec(), b"c".to_vec()]
        );
        let req = request("/?tokens=no&xtoken=no", "Authorization: Basic abc\r\n");
        assert!(credentials(&req).is_empty());
        let req = request("/?access_token=a%20b", "");
        assert_eq!(credentials(&req), vec![b"a b".to_vec()]);
    }

    #[test]
    fn settings_are_validated() {
        let ok = |origin: &str| {
            Auth {
                allowed_origins: vec![origin.into()],
                ..Auth::default()
            }
            .validate()
        };
        assert!(ok("http://192.168.1.20:3000").is_ok());
        assert!(ok("https://example.org/").is_ok());
        assert!(ok("null").is_ok());
        assert!(ok("example.org").is_err());
        assert!(ok("http://example.org/chat").is_err());
        let both = Auth {
            token: Some(Secret::new("a")),
            jwt_secret: Some(Secret::new("b")),
            ..Auth::default()
        };
        assert!(both.validate().is_err());
        let empty = Auth {
            token: Some(Secret::new("")),
            ..Auth::default()
        };
        assert!(empty.validate().is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let auth = Auth {
            token: Some(Secret::new("hunter2")),
            ..Auth::default()
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
