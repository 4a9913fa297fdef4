//! The client's address as a trusted reverse proxy reports it, from the
//! `Forwarded` header (RFC 7239) or else `X-Forwarded-For`.
//!
//! Each proxy on the way appends the address it received the request
//! from, so the list is read from the right: the first address that is not
//! one of our trusted proxies is the client. Whatever stands left of it was
//! written by the client itself and proves nothing.

use std::net::{IpAddr, SocketAddr};

use crate::http::Request;

/// The client address a request from a trusted proxy carries, or `None`
/// if it names none we can parse (the proxy's own address then stands).
pub(crate) fn client_addr(request: &Request, trusted: &[IpAddr]) -> Option<SocketAddr> {
    let forwarded = headers(request, "Forwarded").flat_map(|value| {
        value
            .split(',')
            // An element without `for=` names no client we could trust.
            .map(|element| element.split(';').find_map(for_parameter).flatten())
    });
    let from_forwarded = rightmost_untrusted(forwarded.collect(), trusted);
    if from_forwarded.is_some() {
        return from_forwarded;
    }
    let xff = headers(request, "X-Forwarded-For")
        .flat_map(|value| value.split(',').map(|item| parse_node(item.trim())));
    rightmost_untrusted(xff.collect(), trusted)
}

/// The values of every header called `name`, in order.
fn headers<'a>(request: &'a Request, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    request
        .headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The node of a `for=` parameter (`Some(None)` for one we cannot parse,
/// such as `unknown` or an obfuscated name).
fn for_parameter(pair: &str) -> Option<Option<SocketAddr>> {
    let (name, value) = pair.trim().split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("for") {
        return None;
    }
    Some(parse_node(value.trim().trim_matches('"')))
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[::1]`, `[::1]:5678` or a bare IPv6
/// address; the port is 0 when none is given.
fn parse_node(node: &str) -> Option<SocketAddr> {
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr);
    }
    let ip = node.strip_prefix('[').and_then(|n| n.strip_suffix(']'));
    let ip: IpAddr = ip.unwrap_or(node).parse().ok()?;
    Some(SocketAddr::new(ip, 0))
}

/// Reading from the right, skips our trusted proxies; the next node is the
/// client. An unparsable node there ends the search: it cannot be trusted.
fn rightmost_untrusted(nodes: Vec<Option<SocketAddr>>, trusted: &[IpAddr]) -> Option<SocketAddr> {
    for node in nodes.into_iter().rev() {
        match node {
            Some(addr) if trusted.contains(&addr.ip()) => continue,
            other => return other,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Request headers, and the client address they should yield.
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);

    fn request(headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            target: "/".into(),
            version: 1,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let cases: &[Case] = &[
            (
                &[("X-Forwarded-For", "192.168.1.20")],
                Some("192.168.1.20:0"),
            ),
            (
                &[("X-Forwarded-For", "6.6.6.6, 192.168.1.20")],
                Some("192.168.1.20:0"),
            ),
            (
                &[("X-Forwarded-For", "192.168.1.20, 10.0.0.1")],
                Some("192.168.1.20:0"),
            ),
            (
                &[("x-forwarded-for", "2001:db8::7")],
                Some("[2001:db8::7]:0"),
            ),
            (
                &[("Forwarded", "for=192.0.2.60;proto=http;by=10.0.0.1")],
                Some("192.0.2.60:0"),
            ),
            (
                &[("Forwarded", "for=\"[2001:db8:cafe::17]:4711\"")],
                Some("[2001:db8:cafe::17]:4711"),
            ),
            (
                &[("Forwarded", "for=1.1.1.1, for=192.0.2.43")],
                Some("192.0.2.43:0"),
            ),
            // Forwarded wins over X-Forwarded-For.
            (
                &[("X-Forwarded-For", "1.1.1.1"), ("Forwarded", "for=2.2.2.2")],
                Some("2.2.2.2:0"),
            ),
            (&[("Forwarded", "for=unknown")], None),
            (&[("X-Forwarded-For", "1.1.1.1, garbage")], None),
            (&[("X-Forwarded-For", "10.0.0.1")], None),
            (&[], None),
        ];
        for (headers, want) in cases {
            let got = client_addr(&request(headers), &[proxy]);
            let want = want.map(|w| w.parse::<SocketAddr>().unwrap());
            assert_eq!(got, want, "{headers:?}");
        }
    }
}
