//! A Phoenix LiveView corner, written only against the library's public API, for testing the
//! `phoenix_live_view` JS client on top of phoenix-wasm (README "Phoenix LiveView"):
//!
//! - `GET /live-demo`: the page a LiveView app serves: a CSRF meta tag, the dead render inside
//!   a root element carrying `id`, `data-phx-main`, `data-phx-session` and `data-phx-static`,
//!   and the bundled client script `/dist/live-demo.js` (from the static dir; `www/build.mjs`
//!   builds it from `www/live-demo.js`).
//! - A second socket at `/live` (`/live/websocket` and `/live/longpoll`): `connect` wants the
//!   page's `_csrf_token`; topics `lv:<id>` run the demo view ([`view`]).
//!
//! Only as much of the LiveView wire protocol as the demo needs: a counter (`phx-click`), a
//! form (`phx-change`, `phx-submit`), `live_patch` (URL params into the render) and a server push
//! every [`view::TICK`]. Tokens are signed with a fixed key, as a generated Phoenix app's dev
//! config fixes `secret_key_base`, so an open page survives a server restart (it rejoins)
//! like a LiveView page survives a deploy. They carry no secrets: the signature only keeps a
//! page from joining another page's view.

pub mod view;
pub mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::demo::now_ms;
use crate::demo::token::Signer;
use crate::endpoint::Endpoint;
use crate::socket::{Assigns, ConnectInfo, ConnectResult, Params, Socket, SocketHandler};
use crate::transport::{longpoll, websocket};

/// Where the demo page lives (also the only path `lv:*` joins and patches accept).
pub const LIVE_PATH: &str = "/live-demo";

/// The socket's mount point.
pub const SOCKET_PATH: &str = "/live";

/// The page's client script, served from the static dir.
pub const SCRIPT: &str = "/dist/live-demo.js";

const SECRET: &[u8] = b"phoenix-wasm live-demo signing key (not a secret)";

const CSRF_NAME: &str = "csrf";

fn signer() -> Signer {
    Signer::new(SECRET.to_vec())
}

/// What a session token of view `id` signs.
fn session_name(id: &str) -> String {
    format!("session:{id}")
}

/// What a static token of view `id` signs.
fn static_name(id: &str) -> String {
    format!("static:{id}")
}

/// `phx-` and 16 random hex digits, like LiveView's root ids.
fn new_view_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = now_ms().to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("phx-{hex}")
}

/// The `/live` socket's `connect`: the page's CSRF token (param `_csrf_token`) must verify.
#[derive(Debug, Clone)]
pub struct LiveSocketHandler {
    signer: Signer,
}

impl SocketHandler for LiveSocketHandler {
    fn connect(&self, params: &Params, _info: &ConnectInfo) -> ConnectResult {
        let token = params
            .get("_csrf_token")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        match self.signer.verify(token, now_ms()) {
            Ok(name) if name == CSRF_NAME => ConnectResult::Ok {
                assigns: Assigns::new(),
                id: None,
            },
            _ => ConnectResult::Refuse,
        }
    }
}

/// The `/live` socket: `lv:*` topics run the demo view.
pub fn socket() -> Socket {
    let signer = signer();
    Socket::new(LiveSocketHandler {
        signer: signer.clone(),
    })
    .channel_filtered(
        "lv:*",
        |t| t.strip_prefix("lv:").is_some_and(valid_view_id),
        move |_| view::LiveViewChannel::new(signer.clone()),
    )
}

fn valid_view_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `/live-demo`, `/live/websocket` and `/live/longpoll`.
pub fn router(endpoint: Endpoint) -> Router {
    let live = socket();
    Router::new()
        .route(LIVE_PATH, get(page))
        .with_state(Arc::new(signer()))
        .merge(websocket::router(
            SOCKET_PATH,
            endpoint.clone(),
            live.clone(),
        ))
        .merge(longpoll::router(SOCKET_PATH, endpoint, live))
}

/// The HTML of `/live-demo` for a new view `id` (the dead render of the URL's params).
pub fn page_html(signer: &Signer, id: &str, query: &str) -> String {
    let now = now_ms();
    let mut view = view::DemoView::default();
    view.handle_params(&format!("{LIVE_PATH}?{query}"));
    let esc = wire::escape_html;
    format!(
        concat!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"csrf-token\" content=\"{csrf}\">\n",
            "<title>LiveView on phoenix-wasm</title>\n",
            "<link rel=\"icon\" href=\"data:,\">\n",
            "<script defer type=\"module\" src=\"{script}\"></script>\n",
            "</head>\n<body>\n<h1>Phoenix LiveView client on phoenix-wasm</h1>\n",
            "<div id=\"{id}\" data-phx-main data-phx-session=\"{session}\" data-phx-static=\"{stat}\">",
            "{html}</div>\n</body>\n</html>\n"
        ),
        csrf = esc(&signer.sign(CSRF_NAME, now)),
        script = SCRIPT,
        id = esc(id),
        session = esc(&signer.sign(&session_name(id), now)),
        stat = esc(&signer.sign(&static_name(id), now)),
        html = view.to_html(),
    )
}

async fn page(
    State(signer): State<Arc<Signer>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let tab = query.get("tab").map(String::as_str).unwrap_or("");
    let query = format!("tab={}", urlencode(tab));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page_html(&signer, &new_view_id(), &query),
    )
        .into_response()
}

fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_carries_what_a_liveview_root_needs() {
        let s = signer();
        let html = page_html(&s, "phx-abc", "tab=x%20y");
        assert!(html.contains(r#"<div id="phx-abc" data-phx-main data-phx-session=""#));
        assert!(html.contains(r#"<meta name="csrf-token" content=""#));
        assert!(html.contains(&format!(r#"src="{SCRIPT}""#)));
        assert!(html.contains(r#"<output id="tab">x y</output>"#));
        let attr = |name: &str| {
            let start = html.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            html[start..].split('"').next().unwrap().to_string()
        };
        let now = now_ms();
        assert_eq!(
            s.verify(&attr("data-phx-session"), now).unwrap(),
            "session:phx-abc"
        );
        assert_eq!(
            s.verify(&attr("data-phx-static"), now).unwrap(),
            "static:phx-abc"
        );
        assert_eq!(
            s.verify(&attr(r#"name="csrf-token" content"#), now)
                .unwrap(),
            CSRF_NAME
        );
    }

    #[test]
    fn ids_and_encoding() {
        let id = new_view_id();
        assert!(valid_view_id(id.strip_prefix("phx-").unwrap()));
        assert_ne!(id, new_view_id());
        assert!(!valid_view_id(""));
        assert!(!valid_view_id("a:b"));
        assert_eq!(urlencode("a b/ü"), "a%20b%2F%C3%BC");
        assert_eq!(wire::query_value(&urlencode("a&b=c"), "x"), None);
        assert_eq!(wire::percent_decode(&urlencode("a&b=c")), "a&b=c");
    }

    #[test]
    fn connect_wants_the_page_csrf_token() {
        let h = LiveSocketHandler { signer: signer() };
        let info = ConnectInfo {
            peer_addr: None,
            origin: None,
            auth_token: None,
            transport: crate::socket::TransportKind::WebSocket,
        };
        let mut params = Params::new();
        assert_eq!(h.connect(&params, &info), ConnectResult::Refuse);
        params.insert("_csrf_token".into(), "forged.token".into());
        assert_eq!(h.connect(&params, &info), ConnectResult::Refuse);
        // A valid token for something else (a session) is not a CSRF token.
        params.insert(
            "_csrf_token".into(),
            signer().sign(&session_name("phx-1"), now_ms()).into(),
        );
        assert_eq!(h.connect(&params, &info), ConnectResult::Refuse);
        params.insert(
            "_csrf_token".into(),
            signer().sign(CSRF_NAME, now_ms()).into(),
        );
        assert!(matches!(
            h.connect(&params, &info),
            ConnectResult::Ok { .. }
        ));
    }
}
