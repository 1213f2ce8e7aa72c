//! The socket transports, and the handshake they share.
//!
//! Both transports open a connection the same way ([`handshake`]): origin check (Phoenix's
//! `check_origin`, see [`OriginCheck`]), serializer from the `vsn` param (403 if unsupported),
//! a free slot under the connection limits (see [`crate::EndpointConfig`]), then the socket's
//! `connect` (403 if it refuses). Only how the answer is written differs: an HTTP status or a
//! close frame for the WebSocket, a JSON body for LongPoll.

pub mod longpoll;
pub mod websocket;

use std::net::SocketAddr;

use axum::http::{header, HeaderMap};

use crate::endpoint::{Endpoint, OriginCheck, Slot};
use crate::serializer::Vsn;
use crate::socket::{Assigns, ConnectInfo, ConnectResult, Params, Socket, TransportKind};

/// What a transport knows about a connection attempt.
pub(crate) struct HandshakeRequest<'a> {
    pub transport: TransportKind,
    pub headers: &'a HeaderMap,
    pub peer_addr: Option<SocketAddr>,
    /// Connect params (the query string, last value wins).
    pub params: Params,
    /// The `authToken` (WebSocket subprotocol or LongPoll header).
    pub auth_token: Option<String>,
}

/// An accepted connection: its serializer, what `connect` returned, and its slot.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub vsn: Vsn,
    pub assigns: Assigns,
    pub socket_id: Option<String>,
    pub slot: Slot,
}

/// Why a connection attempt was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `Origin` not allowed: 403.
    Origin,
    /// Unsupported `vsn`: 403.
    Vsn,
    /// `connect` refused: 403.
    Connect,
    /// A connection limit is reached: HTTP 503 / close 1013.
    Full,
    /// The server is shutting down.
    ShuttingDown,
}

/// The handshake of both transports (see the module docs).
pub(crate) fn handshake(
    endpoint: &Endpoint,
    socket: &Socket,
    req: HandshakeRequest<'_>,
) -> Result<Accepted, Refused> {
    let origin = req
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let host = req.headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !origin_allowed(&endpoint.config().check_origin, origin.as_deref(), host) {
        tracing::info!(?origin, transport = ?req.transport, "refused: origin not allowed");
        return Err(Refused::Origin);
    }
    let vsn_param = req.params.get("vsn").and_then(|v| v.as_str());
    let Some(vsn) = Vsn::from_param(vsn_param) else {
        tracing::info!(vsn = ?vsn_param, transport = ?req.transport, "refused: unsupported vsn");
        return Err(Refused::Vsn);
    };
    if endpoint.is_shutting_down() {
        return Err(Refused::ShuttingDown);
    }
    // Before `connect`, so a full server does not pay for authentication.
    let slot = endpoint
        .acquire_slot(req.transport, req.peer_addr.map(|a| a.ip()))
        .ok_or_else(|| {
            tracing::info!(peer = ?req.peer_addr, transport = ?req.transport, "refused: connection limit reached");
            Refused::Full
        })?;
    let info = ConnectInfo {
        peer_addr: req.peer_addr,
        origin,
        auth_token: req.auth_token,
        transport: req.transport,
    };
    match socket.connect(&req.params, &info) {
        ConnectResult::Ok { assigns, id } => Ok(Accepted {
            vsn,
            assigns,
            socket_id: id,
            slot,
        }),
        ConnectResult::Refuse => {
            tracing::info!(peer = ?req.peer_addr, transport = ?req.transport, "refused by connect");
            Err(Refused::Connect)
        }
    }
}

/// An origin (or `Host`) split into its parts; the port is the scheme's default when absent.
#[derive(Debug, PartialEq, Eq)]
struct Origin<'a> {
    scheme: Option<&'a str>,
    host: &'a str,
    port: Option<u16>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// `host[:port]` (IPv6 in brackets).
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    (!host.is_empty()).then_some((host, port))
}

/// Parses `scheme://host[:port]`, `//host[:port]` (any scheme) or a bare `host[:port]`.
fn parse_origin(s: &str) -> Option<Origin<'_>> {
    let (scheme, rest) = match s.split_once("//") {
        Some(("", rest)) => (None, rest),
        Some((scheme, rest)) => (Some(scheme.strip_suffix(':')?), rest),
        None => (None, s),
    };
    let authority = rest.split('/').next().unwrap_or("");
    let (host, port) = split_authority(authority)?;
    Some(Origin {
        scheme,
        host,
        port: port.or_else(|| scheme.and_then(default_port)),
    })
}

/// Phoenix's `check_origin` (`Phoenix.Socket.Transport.check_origin/5`), given the request's
/// `Origin` and `Host` headers:
///
/// * no `Origin` header: allowed (not a browser);
/// * [`OriginCheck::Off`]: any origin;
/// * [`OriginCheck::SameHost`] (Phoenix's `check_origin: true` with the endpoint's host): the
///   origin's host must equal the host the request was addressed to (`Host`), whatever the
///   scheme and port. A loopback origin is no exception; `null` is refused;
/// * [`OriginCheck::Conn`] (Phoenix's `:conn`): scheme (`http`), host and port must all match
///   the request's;
/// * [`OriginCheck::Allow`]: one of the listed origins, compared like Phoenix: a listed scheme
///   or port must match (a scheme implies its default port), `//host` allows any scheme and
///   port, and `//*.example.com` allows `example.com` and its subdomains.
pub fn origin_allowed(check: &OriginCheck, origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    if *check == OriginCheck::Off {
        return true;
    }
    // An origin must name a scheme and a host.
    let Some(o) = parse_origin(origin.trim()).filter(|o| o.scheme.is_some()) else {
        return false;
    };
    let request = host.and_then(split_authority);
    match check {
        OriginCheck::Off => true,
        OriginCheck::SameHost => request.is_some_and(|(h, _)| h.eq_ignore_ascii_case(o.host)),
        OriginCheck::Conn => request.is_some_and(|(h, p)| {
            o.scheme.is_some_and(|s| s.eq_ignore_ascii_case("http"))
                && h.eq_ignore_ascii_case(o.host)
                && p.unwrap_or(80) == o.port.unwrap_or(80)
        }),
        OriginCheck::Allow(list) => list.iter().any(|allowed| {
            let Some(a) = parse_origin(allowed.trim()) else {
                return false;
            };
            let scheme_ok = a
                .scheme
                .is_none_or(|s| o.scheme.is_some_and(|os| os.eq_ignore_ascii_case(s)));
            let port_ok = a.port.is_none() || a.port == o.port;
            let origin_host = o.host.to_ascii_lowercase();
            let host_ok = match a.host.strip_prefix("*.") {
                Some(base) => {
                    let base = base.to_ascii_lowercase();
                    origin_host == base || origin_host.ends_with(&format!(".{base}"))
                }
                None => origin_host == a.host.to_ascii_lowercase(),
            };
            scheme_ok && port_ok && host_ok
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_host_compares_the_origin_host_with_the_host_header() {
        let c = OriginCheck::SameHost;
        assert!(origin_allowed(&c, None, None));
        assert!(origin_allowed(
            &c,
            Some("https://chat.example.com"),
            Some("chat.example.com:443")
        ));
        // scheme and port do not matter, only the host
        assert!(origin_allowed(
            &c,
            Some("http://127.0.0.1:9"),
            Some("127.0.0.1:4000")
        ));
        assert!(origin_allowed(
            &c,
            Some("http://[::1]:9"),
            Some("[::1]:4000")
        ));
        // a loopback origin is no exception any more
        assert!(!origin_allowed(
            &c,
            Some("http://localhost:4000"),
            Some("example.com")
        ));
        assert!(!origin_allowed(
            &c,
            Some("http://localhost:4000"),
            Some("127.0.0.1:4000")
        ));
        assert!(!origin_allowed(&c, Some("http://127.0.0.1:9"), None));
        assert!(!origin_allowed(
            &c,
            Some("https://evil.example"),
            Some("chat.example.com")
        ));
        assert!(!origin_allowed(&c, Some("null"), Some("chat.example.com")));
        assert!(!origin_allowed(&c, Some(""), Some("chat.example.com")));
        assert!(!origin_allowed(
            &c,
            Some("https://chat.example.com.evil.example"),
            Some("chat.example.com")
        ));
    }

    #[test]
    fn conn_compares_scheme_host_and_port() {
        let c = OriginCheck::Conn;
        assert!(origin_allowed(
            &c,
            Some("http://a.example:4000"),
            Some("a.example:4000")
        ));
        assert!(origin_allowed(
            &c,
            Some("http://a.example"),
            Some("a.example:80")
        ));
        assert!(!origin_allowed(
            &c,
            Some("http://a.example:4001"),
            Some("a.example:4000")
        ));
        assert!(!origin_allowed(
            &c,
            Some("https://a.example:4000"),
            Some("a.example:4000")
        ));
    }

    #[test]
    fn allow_list_like_phoenix() {
        let allow = OriginCheck::Allow(vec![
            "https://a.example".into(),
            "//b.example".into(),
            "//*.c.example".into(),
            "http://d.example:8080".into(),
        ]);
        let ok = |o: &str| origin_allowed(&allow, Some(o), Some("server.example"));
        assert!(ok("https://a.example"));
        assert!(ok("https://A.example:443"));
        assert!(!ok("http://a.example"));
        assert!(!ok("https://a.example:8443"));
        assert!(ok("http://b.example:1234"));
        assert!(ok("https://b.example"));
        assert!(ok("https://c.example"));
        assert!(ok("https://x.y.c.example"));
        assert!(!ok("https://xc.example"));
        assert!(ok("http://d.example:8080"));
        assert!(!ok("http://d.example"));
        assert!(!ok("https://e.example"));
        assert!(!ok("null"));
        assert!(origin_allowed(
            &OriginCheck::Off,
            Some("https://evil.example"),
            None
        ));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn origin_checks_never_panic(origin in "[ -~]{0,40}", host in "[ -~]{0,40}", allowed in "[ -~]{0,40}") {
                for c in [OriginCheck::SameHost, OriginCheck::Conn, OriginCheck::Allow(vec![allowed.clone()])] {
                    let _ = origin_allowed(&c, Some(&origin), Some(&host));
                }
            }
        }
    }
}
