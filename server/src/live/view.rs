//! The demo LiveView on `lv:<id>` topics: its template, its state and the channel speaking
//! the part of the LiveView wire protocol it needs (as the `phoenix_live_view` JS client 1.0–1.2
//! reads it).
//!
//! - `phx_join` payload: `{url, params, session, static, ...}`; the reply is
//!   `{"rendered": {"0": .., "1": .., "s": [statics]}, "liveview_version": ..}`: the template's
//!   statics and its dynamics (already HTML-escaped), keyed by position.
//! - `event` pushes `{type: "click" | "form", event, value, meta?}` are answered
//!   `{"diff": {changed dynamics}}` (or `{}` when nothing changed).
//! - `live_patch` `{url}`: the URL's params go into the render; the reply carries the diff.
//! - Server pushes: a `diff` event every [`TICK`] while joined.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::wire::{escape_html, parse_query, query_value, split_url};
use super::LIVE_PATH;
use crate::channel::{Channel, ChannelSocket, HandleIn, Reply, Terminate};
use crate::demo::token::Signer;
use crate::serializer::Payload;

/// How often a joined view gets a server-pushed `diff`.
pub const TICK: Duration = Duration::from_millis(300);

/// Longest text kept from a form field or URL param (characters).
const MAX_TEXT: usize = 200;

/// The template: `STATICS[i]`, dynamic `i`, `STATICS[i + 1]`, ... (the `s` of a rendered tree).
const STATICS: [&str; 7] = [
    concat!(
        r#"<section id="counter"><h2>Counter</h2>"#,
        r#"<button id="dec" type="button" phx-click="dec">&minus;</button> "#,
        r#"<output id="count">"#
    ),
    concat!(
        r#"</output> <button id="inc" type="button" phx-click="inc">+</button></section>"#,
        r#"<section><h2>Form</h2><form id="form" phx-change="validate" phx-submit="save">"#,
        r#"<label>Name <input id="name" name="user[name]" type="text" autocomplete="off" value=""#
    ),
    concat!(
        r#""></label> <button id="save" type="submit">Save</button></form>"#,
        r#"<p>Echo (phx-change): <output id="echo">"#
    ),
    r#"</output></p><p>Saved (phx-submit): <output id="saved">"#,
    concat!(
        r#"</output></p></section><section><h2>live_patch</h2><nav>"#,
        r#"<a id="tab-a" href="/live-demo?tab=a" data-phx-link="patch" data-phx-link-state="push">Tab a</a> "#,
        r#"<a id="tab-b" href="/live-demo?tab=b" data-phx-link="patch" data-phx-link-state="push">Tab b</a>"#,
        r#"</nav><p>Tab (from the URL): <output id="tab">"#
    ),
    r#"</output></p></section><section><h2>Server push</h2><p>Ticks: <output id="ticks">"#,
    r#"</output></p></section>"#,
];

const DYNAMICS: usize = STATICS.len() - 1;

fn clip(text: &str) -> String {
    text.chars().take(MAX_TEXT).collect()
}

/// The state of one mounted view (the assigns).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemoView {
    /// The counter.
    pub count: i64,
    /// The form's name field as last seen (phx-change).
    pub name: String,
    /// Submissions so far.
    pub saves: u64,
    /// The last submitted name.
    pub saved: String,
    /// The `tab` URL param.
    pub tab: String,
    /// Server pushes so far.
    pub ticks: u64,
}

impl DemoView {
    /// Applies `handle_params`: the view's params come from the URL's query.
    pub fn handle_params(&mut self, url: &str) {
        let (_, query) = split_url(url);
        self.tab = clip(&query_value(query, "tab").unwrap_or_default());
    }

    /// The dynamics, escaped, in template order.
    pub fn dynamics(&self) -> [String; DYNAMICS] {
        let saved = if self.saves == 0 {
            String::new()
        } else {
            format!("{} (#{})", self.saved, self.saves)
        };
        [
            self.count.to_string(),
            escape_html(&self.name),
            escape_html(&self.name),
            escape_html(&saved),
            escape_html(&self.tab),
            self.ticks.to_string(),
        ]
    }

    /// The whole HTML (the dead render inside the LiveView root element).
    pub fn to_html(&self) -> String {
        let dynamics = self.dynamics();
        let mut html = String::new();
        for (i, s) in STATICS.iter().enumerate() {
            html.push_str(s);
            if let Some(d) = dynamics.get(i) {
                html.push_str(d);
            }
        }
        html
    }

    /// The rendered tree of a join: every dynamic plus the statics `s`.
    pub fn rendered(&self) -> Value {
        let mut tree = Map::new();
        for (i, d) in self.dynamics().into_iter().enumerate() {
            tree.insert(i.to_string(), Value::String(d));
        }
        tree.insert("s".into(), json!(STATICS));
        Value::Object(tree)
    }

    /// Handles an `event` push; `Err` for an event this view does not know.
    pub fn handle_event(&mut self, event: &str, payload: &Value) -> Result<(), String> {
        match event {
            "inc" => self.count += 1,
            "dec" => self.count -= 1,
            "validate" => self.name = form_field(payload, "user[name]"),
            "save" => {
                self.name = form_field(payload, "user[name]");
                self.saved = self.name.clone();
                self.saves += 1;
            }
            other => return Err(format!("unknown event {:?}", clip(other))),
        }
        Ok(())
    }
}

/// A field of a form event: `value` is the urlencoded form (LiveView 1.x).
fn form_field(payload: &Value, field: &str) -> String {
    let form = payload.get("value").and_then(Value::as_str).unwrap_or("");
    parse_query(form)
        .into_iter()
        .rev()
        .find_map(|(k, v)| (k == field).then(|| clip(&v)))
        .unwrap_or_default()
}

/// The dynamics that changed from `before` to `after`, as a diff object.
pub fn diff(before: &[String; DYNAMICS], after: &[String; DYNAMICS]) -> Map<String, Value> {
    let mut out = Map::new();
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        if b != a {
            out.insert(i.to_string(), Value::String(a.clone()));
        }
    }
    out
}

/// Why a join is refused: `stale` (a session or static token that does not verify, or that
/// belongs to another view) makes the client reload the page, as LiveView does.
fn refuse(reason: &str) -> Payload {
    json!({ "reason": reason }).into()
}

/// The channel of one mounted view.
pub struct LiveViewChannel {
    signer: Signer,
    view: DemoView,
    last: [String; DYNAMICS],
    ticker: Option<tokio::task::AbortHandle>,
}

impl std::fmt::Debug for LiveViewChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveViewChannel")
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

impl LiveViewChannel {
    /// One instance per join.
    pub fn new(signer: Signer) -> Self {
        LiveViewChannel {
            signer,
            view: DemoView::default(),
            last: Default::default(),
            ticker: None,
        }
    }

    /// The diff since the last render (and remembers this render).
    fn take_diff(&mut self) -> Map<String, Value> {
        let now = self.view.dynamics();
        let d = diff(&self.last, &now);
        self.last = now;
        d
    }

    fn reply_diff(&mut self) -> HandleIn {
        let d = self.take_diff();
        if d.is_empty() {
            HandleIn::Reply(Reply::ok(json!({})))
        } else {
            HandleIn::Reply(Reply::ok(json!({ "diff": d })))
        }
    }

    fn stop_ticker(&mut self) {
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
    }
}

impl Drop for LiveViewChannel {
    fn drop(&mut self) {
        self.stop_ticker();
    }
}

impl Channel for LiveViewChannel {
    fn join(
        &mut self,
        topic: &str,
        payload: &Payload,
        _socket: &mut ChannelSocket,
    ) -> Result<Payload, Payload> {
        let Some(p) = payload.as_json() else {
            return Err(refuse("stale"));
        };
        let id = topic.strip_prefix("lv:").unwrap_or("");
        let session = p.get("session").and_then(Value::as_str).unwrap_or("");
        let stat = p.get("static").and_then(Value::as_str).unwrap_or("");
        let now = crate::demo::now_ms();
        match (
            self.signer.verify(session, now),
            self.signer.verify(stat, now),
        ) {
            (Ok(s), Ok(t)) if s == super::session_name(id) && t == super::static_name(id) => {}
            _ => return Err(refuse("stale")),
        }
        // `redirect` instead of `url` is a live_redirect to this view: the same mount.
        let url = p
            .get("url")
            .or_else(|| p.get("redirect"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if split_url(url).0 != LIVE_PATH {
            return Err(refuse("unauthorized"));
        }
        self.view.handle_params(url);
        self.last = self.view.dynamics();
        // This server implements the subset of the protocol that LiveView 1.0 to 1.2 share, so it
        // reports the client's own version (the page sends it) instead of one of its own.
        let version = p
            .pointer("/params/_lv_version")
            .and_then(Value::as_str)
            .map(clip);
        let mut reply = json!({ "rendered": self.view.rendered() });
        if let Some(v) = version {
            reply["liveview_version"] = Value::String(v);
        }
        Ok(reply.into())
    }

    fn after_join(&mut self, socket: &mut ChannelSocket) {
        // No runtime (a channel driven by hand in a unit test): no server pushes.
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let handle = socket.handle();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(TICK);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await; // the first tick is immediate
            loop {
                every.tick().await;
                if !handle.info(json!("tick")) {
                    break;
                }
            }
        });
        self.ticker = Some(task.abort_handle());
    }

    fn handle_info(&mut self, msg: Value, socket: &mut ChannelSocket) {
        if msg == "tick" {
            self.view.ticks += 1;
            let d = self.take_diff();
            if !d.is_empty() {
                socket.push("diff", Value::Object(d));
            }
        }
    }

    fn handle_in(
        &mut self,
        event: &str,
        payload: Payload,
        _socket: &mut ChannelSocket,
    ) -> HandleIn {
        let Some(p) = payload.as_json() else {
            return HandleIn::Reply(Reply::error(json!({"reason": "expected JSON"})));
        };
        match event {
            "event" => {
                let name = p.get("event").and_then(Value::as_str).unwrap_or("");
                match self.view.handle_event(name, p) {
                    Ok(()) => self.reply_diff(),
                    Err(reason) => HandleIn::Reply(Reply::error(json!({ "reason": reason }))),
                }
            }
            "live_patch" => {
                let url = p.get("url").and_then(Value::as_str).unwrap_or("");
                if split_url(url).0 != LIVE_PATH {
                    return HandleIn::Reply(Reply::error(json!({"reason": "not this view"})));
                }
                self.view.handle_params(url);
                self.reply_diff()
            }
            _ => HandleIn::Reply(Reply::error(json!({"reason": "unknown event"}))),
        }
    }

    fn terminate(&mut self, _reason: Terminate, _socket: &mut ChannelSocket) {
        self.stop_ticker();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_tree_and_html_agree() {
        let mut v = DemoView::default();
        v.handle_params("http://127.0.0.1:1/live-demo?tab=%3Cb%3E");
        v.count = 3;
        let tree = v.rendered();
        let statics: Vec<String> = serde_json::from_value(tree["s"].clone()).unwrap();
        assert_eq!(statics.len(), DYNAMICS + 1);
        let mut html = String::new();
        for (i, s) in statics.iter().enumerate() {
            html.push_str(s);
            if let Some(d) = tree.get(i.to_string()) {
                html.push_str(d.as_str().unwrap());
            }
        }
        assert_eq!(html, v.to_html());
        assert!(html.contains(r#"<output id="count">3</output>"#));
        assert!(html.contains(r#"<output id="tab">&lt;b&gt;</output>"#));
    }

    #[test]
    fn events_change_only_their_dynamics() {
        let mut v = DemoView::default();
        let before = v.dynamics();
        v.handle_event(
            "inc",
            &json!({"type": "click", "event": "inc", "value": {}}),
        )
        .unwrap();
        v.handle_event("inc", &json!({})).unwrap();
        v.handle_event("dec", &json!({})).unwrap();
        assert_eq!(
            diff(&before, &v.dynamics()),
            json!({"0": "1"}).as_object().cloned().unwrap()
        );

        let before = v.dynamics();
        let form = json!({"type": "form", "event": "validate",
            "value": "user%5Bname%5D=a%22%3Cx&_target=user%5Bname%5D", "meta": {"_target": "user[name]"}});
        v.handle_event("validate", &form).unwrap();
        let d = diff(&before, &v.dynamics());
        assert_eq!(d.get("1"), Some(&json!("a&quot;&lt;x")));
        assert_eq!(d.get("2"), Some(&json!("a&quot;&lt;x")));
        assert_eq!(d.len(), 2);

        v.handle_event("save", &json!({"value": "user%5Bname%5D=bob"}))
            .unwrap();
        v.handle_event("save", &json!({"value": "user%5Bname%5D=bob"}))
            .unwrap();
        assert_eq!(v.dynamics()[3], "bob (#2)");

        assert!(v.handle_event("drop_tables", &json!({})).is_err());
        // A form event without a form clears the field rather than failing.
        v.handle_event("validate", &json!({"value": 5})).unwrap();
        assert_eq!(v.name, "");
    }

    #[test]
    fn params_are_clipped() {
        let mut v = DemoView::default();
        v.handle_params(&format!("/live-demo?tab={}", "x".repeat(5000)));
        assert_eq!(v.tab.chars().count(), MAX_TEXT);
        v.handle_params("/live-demo");
        assert_eq!(v.tab, "");
    }
}
