// The reference server's LiveView corner (server/src/live/) at the wire level, driven by npm
// phoenix@1.8.16 over `ws`: the /live-demo page, the /live socket's CSRF check, `lv:*` joins
// (rendered tree, refusals), `event` and `live_patch` replies with diffs, server-pushed diffs,
// and bad input answered with errors, never a crash. The browser side (the phoenix_live_view
// client itself) is tests/browser/liveview/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, openSocket, join, push, recorder, closeAll, refusedStatus } from "./support.mjs";

let server;
let live; // the server as openSocket() sees it, pointed at /live
before(async () => {
  server = await startServer();
  live = { ...server, ws: `ws://127.0.0.1:${server.port}/live` };
});
after(async () => { await server?.stop(); });

/** Loads /live-demo (with `query`) and reads what the client needs from it. */
async function loadPage(query = "") {
  const res = await fetch(`${server.http}/live-demo${query}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/html/);
  const html = await res.text();
  const attr = (re) => html.match(re)?.[1];
  return {
    html,
    csrf: attr(/<meta name="csrf-token" content="([^"]+)">/),
    id: attr(/<div id="([^"]+)" data-phx-main /),
    session: attr(/data-phx-session="([^"]+)"/),
    static: attr(/data-phx-static="([^"]+)"/),
    script: attr(/<script defer type="module" src="([^"]+)">/),
  };
}

async function liveSocket(page) {
  return openSocket(live, { params: { _csrf_token: page.csrf } });
}

function joinPayload(page, extra = {}) {
  return {
    url: `${server.http}/live-demo?tab=x`,
    params: { _csrf_token: page.csrf, _lv_version: "9.9.9", _mounts: 0 },
    session: page.session,
    static: page.static,
    ...extra,
  };
}

test("GET /live-demo: a LiveView root (id, data-phx-main, session, static), CSRF meta tag, the client script, a dead render", async () => {
  const page = await loadPage("?tab=%3Cb%3E");
  for (const k of ["csrf", "id", "session", "static"]) assert.ok(page[k], `${k} missing`);
  assert.match(page.id, /^phx-[0-9a-f]{16}$/);
  assert.equal(page.script, "/dist/live-demo.js");
  assert.match(page.html, /<output id="count">0<\/output>/);
  assert.match(page.html, /<output id="tab">&lt;b&gt;<\/output>/, "URL params in the dead render, escaped");
  assert.notEqual((await loadPage()).id, page.id, "a new view id per page load");
});

test("the /live socket wants the page's CSRF token", async () => {
  const page = await loadPage();
  const url = `${live.ws}/websocket?vsn=2.0.0`;
  assert.equal(await refusedStatus(url), 403);
  assert.equal(await refusedStatus(`${url}&_csrf_token=nope`), 403);
  assert.equal(await refusedStatus(`${url}&_csrf_token=${encodeURIComponent(page.session)}`), 403, "a session token is no CSRF token");
  const socket = await liveSocket(page);
  assert.ok(socket.isConnected());
  await closeAll(socket);
});

test("lv:<id> join: rendered statics and dynamics, the client's version echoed", async () => {
  const page = await loadPage();
  const socket = await liveSocket(page);
  const reply = await join(socket.channel(`lv:${page.id}`, joinPayload(page)));
  assert.equal(reply.liveview_version, "9.9.9");
  const { rendered } = reply;
  assert.ok(Array.isArray(rendered.s) && rendered.s.every((s) => typeof s === "string"));
  const dynamics = Object.keys(rendered).filter((k) => k !== "s").sort();
  assert.deepEqual(dynamics, Array.from({ length: rendered.s.length - 1 }, (_, i) => String(i)));
  assert.equal(rendered["0"], "0");
  assert.equal(rendered["4"], "x", "tab from the join url");
  const html = rendered.s.map((s, i) => s + (rendered[i] ?? "")).join("");
  assert.match(html, /phx-click="inc"/);
  assert.match(html, /phx-change="validate" phx-submit="save"/);
  assert.match(html, /data-phx-link="patch"/);
  await closeAll(socket);
});

test("lv:* join refusals: another view's or forged tokens -> stale, a foreign url -> unauthorized, a bad topic -> unmatched", async () => {
  const page = await loadPage();
  const other = await loadPage();
  const socket = await liveSocket(page);
  const refusal = (topic, payload) => join(socket.channel(topic, payload)).then(
    () => assert.fail(`${topic} joined`), (e) => e.response);
  assert.deepEqual(await refusal(`lv:${page.id}`, joinPayload(page, { session: other.session })), { reason: "stale" });
  assert.deepEqual(await refusal(`lv:${page.id}`, joinPayload(page, { static: other.static })), { reason: "stale" });
  assert.deepEqual(await refusal(`lv:${page.id}`, joinPayload(page, { session: "x.y" })), { reason: "stale" });
  assert.deepEqual(await refusal(`lv:${page.id}`, joinPayload(page, { session: 42 })), { reason: "stale" });
  assert.deepEqual(await refusal(`lv:${page.id}`, {}), { reason: "stale" });
  assert.deepEqual(await refusal(`lv:${page.id}`, joinPayload(page, { url: `${server.http}/elsewhere` })), { reason: "unauthorized" });
  assert.deepEqual(await refusal("lv:bad:id", joinPayload(page)), { reason: "unmatched topic" });
  // A live_redirect join (`redirect` instead of `url`) mounts the same view.
  const ok = await join(socket.channel(`lv:${page.id}`, joinPayload(page, { url: undefined, redirect: `${server.http}/live-demo` })));
  assert.equal(ok.rendered["0"], "0");
  assert.ok(server.alive());
  await closeAll(socket);
});

test("events and live_patch reply with diffs of what changed; bad input gets an error reply", async () => {
  const page = await loadPage();
  const socket = await liveSocket(page);
  const ch = socket.channel(`lv:${page.id}`, joinPayload(page));
  await join(ch);
  const click = (event) => push(ch, "event", { type: "click", event, value: { value: "" } });
  assert.deepEqual(await click("inc"), { status: "ok", response: { diff: { 0: "1" } } });
  assert.deepEqual(await click("inc"), { status: "ok", response: { diff: { 0: "2" } } });
  assert.deepEqual(await click("dec"), { status: "ok", response: { diff: { 0: "1" } } });

  const form = (event, value) => push(ch, "event", { type: "form", event, value, meta: { _target: "user[name]" } });
  assert.deepEqual(await form("validate", "user%5Bname%5D=a%26b+%3Cc%3E"),
    { status: "ok", response: { diff: { 1: "a&amp;b &lt;c&gt;", 2: "a&amp;b &lt;c&gt;" } } });
  assert.deepEqual(await form("validate", "user%5Bname%5D=a%26b+%3Cc%3E"), { status: "ok", response: {} }, "nothing changed");
  assert.deepEqual(await form("save", "user%5Bname%5D=zed"),
    { status: "ok", response: { diff: { 1: "zed", 2: "zed", 3: "zed (#1)" } } });

  assert.deepEqual(await push(ch, "live_patch", { url: `${server.http}/live-demo?tab=b` }),
    { status: "ok", response: { diff: { 4: "b" } } });
  assert.deepEqual(await push(ch, "live_patch", { url: "/live-demo?other=1" }),
    { status: "ok", response: { diff: { 4: "" } } });

  for (const [event, payload] of [
    ["event", { type: "click", event: "nope" }],
    ["event", {}],
    ["event", { event: 5 }],
    ["live_patch", { url: `${server.http}/elsewhere?tab=b` }],
    ["live_patch", {}],
    ["phx_whatever", {}],
  ]) {
    const r = await push(ch, event, payload);
    assert.equal(r.status, "error", `${event} ${JSON.stringify(payload)}`);
    assert.equal(typeof r.response.reason, "string");
  }
  // A form event with no form: the field is read as empty, no crash.
  assert.equal((await form("validate", 12)).status, "ok");
  assert.equal((await click("inc")).response.diff[0], "2", "state kept after the bad input");
  assert.ok(server.alive());
  await closeAll(socket);
});

test("a joined view gets server-pushed diffs, counting up", async () => {
  const page = await loadPage();
  const socket = await liveSocket(page);
  const ch = socket.channel(`lv:${page.id}`, joinPayload(page));
  const rec = recorder(ch, ["diff"]);
  await join(ch);
  const first = await rec.next("diff");
  const second = await rec.next("diff");
  assert.deepEqual(Object.keys(first), ["5"]);
  assert.equal(Number(second[5]), Number(first[5]) + 1);
  const pushes = socket.received.filter((m) => m.event === "diff");
  assert.ok(pushes.every((m) => m.ref === null && m.join_ref === ch.joinRef()), "pushes carry the join_ref, no ref");
  await closeAll(socket);
});
