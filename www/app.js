// The demo chat (docs/protocol.md#demo-contract): phoenix-wasm used exactly as an app uses phoenix.js.
//
// Query parameters (all optional):
//   ?transport=longpoll   use the LongPoll transport instead of WebSocket
//   ?hb=500               heartbeatIntervalMs (default 30000, as in phoenix.js)
//   ?fallback=2500        longPollFallbackMs: fall back to LongPoll when WebSocket fails
//   ?typing=3000          how long a typing indicator stays after the last `typing` event (ms)
//   ?debug=1              log every socket event to the console (phoenix.js `logger`)
//
// window.chat exposes the state for the end-to-end tests and for poking around in devtools.
import { Socket, Presence, LongPoll } from "phoenix-wasm";

const ROOM_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_BODY = 2000;
const SUGGESTED_ROOMS = ["lobby", "random", "rust", "elixir"];
const STORE_KEY = "phoenix-wasm-chat";

// ---------------------------------------------------------------------------------------------
// Configuration from the URL

const query = new URLSearchParams(location.search);
function positiveInt(value, fallback) {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n > 0 ? n : fallback;
}
const config = {
  transport: query.get("transport") === "longpoll" ? "longpoll" : "websocket",
  heartbeatIntervalMs: positiveInt(query.get("hb"), 30000),
  typingMs: positiveInt(query.get("typing"), 3000),
  longPollFallbackMs: positiveInt(query.get("fallback"), undefined),
  debug: query.get("debug") === "1",
};
// While someone types, `typing` goes out this often, so that others' indicators (which stay
// config.typingMs after the last event) do not flicker.
const TYPING_SEND_EVERY_MS = Math.min(2000, Math.floor(config.typingMs * 0.6));
const presenceSupported = typeof Presence === "function";
const longPollSupported = typeof LongPoll === "function";

// ---------------------------------------------------------------------------------------------
// State

const state = {
  user: null,
  token: null,
  socket: null,
  status: "idle", // idle | connecting | connected | reconnecting | offline
  everConnected: false,
  reconnects: 0,
  failuresSinceOpen: 0,
  rooms: new Map(), // name -> Room
  active: null,
  muted: new Set(),
  notifications: { channel: null, items: [], unread: 0 },
  // For the tests: socket lifecycle events with timestamps (Date.now()).
  events: [],
};

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
};

function load() {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY)) || {};
  } catch {
    return {};
  }
}
function save() {
  if (!state.user) return;
  const rooms = [...state.rooms.values()].filter((r) => r.status !== "refused").map((r) => r.name);
  localStorage.setItem(STORE_KEY, JSON.stringify({ user: state.user, rooms, active: state.active, muted: [...state.muted] }));
}

// ---------------------------------------------------------------------------------------------
// Sign in: a token for the name, then the socket

async function fetchToken(name) {
  const res = await fetch("/api/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `the server answered ${res.status}`);
  return body.token;
}

async function signIn(name, saved = {}) {
  state.user = name;
  state.token = await fetchToken(name);
  state.muted = new Set(saved.muted || []);
  $("login").hidden = true;
  $("app").hidden = false;
  $("me").textContent = name;
  $("me").style.setProperty("--avatar", colorFor(name));
  connect();
  joinNotifications();
  const rooms = saved.rooms && saved.rooms.length ? saved.rooms : ["lobby"];
  for (const room of rooms) joinRoom(room, { activate: false });
  switchRoom(rooms.includes(saved.active) ? saved.active : rooms[0]);
  $("message").focus();
}

function signOut() {
  localStorage.removeItem(STORE_KEY);
  const socket = state.socket;
  state.socket = null;
  if (socket) socket.disconnect(() => location.reload());
  else location.reload();
}

// Tokens are signed by the server and expire (or die with a server restart, whose secret is
// random), and a refused upgrade looks like any other failure from here. So when connecting
// fails, get a fresh token: `params` is a function, so the next attempt uses it. After a
// successful refresh, wait a while before the next one.
let tokenRefresh = null;
let lastTokenRefresh = 0;
function refreshTokenSoon() {
  if (tokenRefresh || Date.now() - lastTokenRefresh < 3000 || !state.user) return;
  tokenRefresh = fetchToken(state.user)
    .then((token) => {
      state.token = token;
      lastTokenRefresh = Date.now();
    })
    .catch(() => { /* server unreachable: the socket keeps retrying, and so do we */ })
    .finally(() => { tokenRefresh = null; });
}

function showTransport(endpoint) {
  $("transport").textContent = endpoint;
  $("transport").title = config.transport === "longpoll" && !longPollSupported
    ? "LongPoll is not available in this build: using WebSocket"
    : `Transport: ${endpoint}`;
  $("diag-endpoint").textContent = `${endpoint} ${location.host}/socket`;
}

function connect() {
  const opts = {
    params: () => ({ token: state.token }),
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  };
  if (config.transport === "longpoll") {
    if (longPollSupported) opts.transport = LongPoll;
    else console.warn("phoenix-wasm has no LongPoll export in this build: using WebSocket");
  }
  if (config.longPollFallbackMs) opts.longPollFallbackMs = config.longPollFallbackMs;
  if (config.debug) opts.logger = (kind, msg, data) => console.debug(`${kind}: ${msg}`, data);
  const socket = new Socket("/socket", opts);
  state.socket = socket;

  socket.onOpen(() => {
    // after a fallback the socket's transport is LongPoll for good
    if (longPollSupported && socket.transport === LongPoll) showTransport("LongPoll");
    if (state.everConnected) state.reconnects++;
    state.everConnected = true;
    state.failuresSinceOpen = 0;
    logEvent("open");
    setStatus("connected");
  });
  socket.onError(() => {
    logEvent("error");
    state.failuresSinceOpen++;
    refreshTokenSoon();
    if (state.socket === socket) setStatus(state.everConnected ? "reconnecting" : "connecting");
  });
  socket.onClose((event) => {
    logEvent("close", { code: event && event.code, reason: event && event.reason });
    if (state.socket === socket) setStatus(state.everConnected ? "reconnecting" : "connecting");
  });
  setStatus("connecting");
  socket.connect();

  showTransport(config.transport === "longpoll" && longPollSupported ? "LongPoll" : "WebSocket");
  $("diag-heartbeat").textContent = `every ${config.heartbeatIntervalMs / 1000} s`;
}

function logEvent(type, extra = {}) {
  state.events.push({ type, at: Date.now(), ...extra });
  if (state.events.length > 500) state.events.splice(0, state.events.length - 500);
}

const STATUS_TEXT = {
  idle: "Not connected",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};
function setStatus(status) {
  state.status = status;
  const node = $("status");
  node.dataset.state = status;
  $("status-text").textContent = status === "reconnecting" && !navigator.onLine
    ? "You are offline, reconnecting…"
    : STATUS_TEXT[status];
  $("diag-reconnects").textContent = String(state.reconnects);
  document.body.dataset.connection = status;
}

// ---------------------------------------------------------------------------------------------
// Rooms

function makeRoom(name) {
  return {
    name,
    topic: `room:${name}`,
    channel: null,
    presence: null,
    status: "joining", // joining | joined | refused | errored
    error: null,
    messages: [],
    keys: new Set(),
    unread: 0,
    online: [],
    typing: new Map(), // user -> timer
  };
}

function joinRoom(name, { activate = true } = {}) {
  if (!ROOM_NAME.test(name)) throw new Error("Room names are 1–32 letters, digits, _ or -");
  let room = state.rooms.get(name);
  if (room && room.status !== "refused") {
    if (activate) switchRoom(name);
    return room;
  }
  if (room) state.rooms.delete(name);
  room = makeRoom(name);
  state.rooms.set(name, room);

  const channel = state.socket.channel(room.topic, {});
  room.channel = channel;

  if (presenceSupported) {
    room.presence = new Presence(channel);
    room.presence.onSync(() => {
      room.online = room.presence.list((user, { metas }) => ({
        user,
        tabs: metas.length,
        since: Math.min(...metas.map((m) => m.online_at || Date.now())),
      }));
      room.online.sort((a, b) => a.user.localeCompare(b.user));
      if (state.active === room.name) renderOnline();
      renderRooms();
    });
  }

  channel.on("new_msg", (msg) => {
    stopTyping(room, msg.user);
    if (!addMessage(room, msg)) return;
    if (state.active === room.name) {
      appendMessage(room, msg);
    } else {
      room.unread++;
      renderRooms();
    }
    updateTitle();
  });
  channel.on("typing", ({ user }) => {
    if (user && user !== state.user) startTyping(room, user);
  });
  channel.onError(() => {
    if (room.status === "refused") return;
    room.status = "errored";
    renderRooms();
    if (state.active === room.name) renderRoomHeader();
  });

  channel
    .join()
    .receive("ok", ({ messages }) => {
      room.status = "joined";
      room.error = null;
      // A rejoin (after a reconnect) brings the history again: merge, do not duplicate.
      let added = 0;
      for (const msg of messages || []) if (addMessage(room, msg)) added++;
      if (added) room.messages.sort((a, b) => a.at - b.at || a.id - b.id);
      // `ignore` lives in the server-side channel process: say it again on every join.
      for (const user of state.muted) channel.push("ignore", { user });
      renderRooms();
      if (state.active === room.name) renderRoom();
    })
    .receive("error", ({ reason } = {}) => {
      // Refused (room:forbidden): stop the rejoin attempts and say why.
      room.status = "refused";
      room.error = reason || "refused";
      channel.leave();
      renderRooms();
      if (state.active === room.name) renderRoom();
    })
    .receive("timeout", () => {
      room.status = "errored";
      renderRooms();
      if (state.active === room.name) renderRoomHeader();
    });

  renderRooms();
  if (activate) switchRoom(name);
  save();
  return room;
}

function leaveRoom(name) {
  const room = state.rooms.get(name);
  if (!room) return;
  for (const timer of room.typing.values()) clearTimeout(timer);
  if (room.status !== "refused") room.channel.leave();
  state.rooms.delete(name);
  if (state.active === name) {
    const next = state.rooms.keys().next();
    state.active = null;
    switchRoom(next.done ? null : next.value);
  }
  renderRooms();
  save();
}

function switchRoom(name) {
  state.active = name;
  const room = name && state.rooms.get(name);
  if (room) room.unread = 0;
  renderRooms();
  renderRoom();
  updateTitle();
  save();
}

function addMessage(room, msg) {
  // Ids restart with the server; the timestamp keeps keys unique across a restart.
  const key = `${msg.id}:${msg.at}:${msg.user}`;
  if (room.keys.has(key)) return false;
  room.keys.add(key);
  room.messages.push(msg);
  if (room.messages.length > 500) {
    const dropped = room.messages.splice(0, room.messages.length - 500);
    for (const m of dropped) room.keys.delete(`${m.id}:${m.at}:${m.user}`);
  }
  return true;
}

function sendMessage(body) {
  const room = state.rooms.get(state.active);
  if (!room || room.status === "refused") return Promise.reject(new Error("not in a room"));
  return new Promise((resolve, reject) => {
    room.channel
      .push("new_msg", { body })
      .receive("ok", resolve)
      .receive("error", ({ reason } = {}) => reject(new Error(reason || "rejected")))
      .receive("timeout", () => reject(new Error("timed out: the message was not sent")));
  });
}

let lastTypingSent = 0;
function notifyTyping() {
  const room = state.rooms.get(state.active);
  if (!room || room.status !== "joined") return;
  const now = Date.now();
  if (now - lastTypingSent < TYPING_SEND_EVERY_MS) return;
  lastTypingSent = now;
  room.channel.push("typing", {});
}

function startTyping(room, user) {
  clearTimeout(room.typing.get(user));
  room.typing.set(user, setTimeout(() => stopTyping(room, user), config.typingMs));
  if (state.active === room.name) renderTyping();
}
function stopTyping(room, user) {
  if (!room.typing.has(user)) return;
  clearTimeout(room.typing.get(user));
  room.typing.delete(user);
  if (state.active === room.name) renderTyping();
}

function toggleMute(user) {
  const muting = !state.muted.has(user);
  if (muting) state.muted.add(user);
  else state.muted.delete(user);
  // The server filters the muted user's messages out (an intercept). Unmuting takes a rejoin
  // in the server's model; the next reconnect forgets it, which is good enough for a demo.
  if (muting) {
    for (const room of state.rooms.values()) {
      if (room.status === "joined") room.channel.push("ignore", { user });
    }
  }
  save();
  renderOnline();
  renderMessages();
}

function binaryEcho(size = 1024) {
  const room = state.rooms.get(state.active) || [...state.rooms.values()].find((r) => r.status === "joined");
  if (!room) return Promise.reject(new Error("join a room first"));
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    room.channel
      .push("binary_echo", bytes.buffer)
      .receive("ok", (reply) => {
        const ms = performance.now() - started;
        const back = reply instanceof ArrayBuffer ? new Uint8Array(reply) : null;
        const same = !!back && back.length === bytes.length && back.every((b, i) => b === bytes[i]);
        resolve({ ok: same, size, ms, replyType: Object.prototype.toString.call(reply) });
      })
      .receive("error", (r) => reject(new Error((r && r.reason) || "error")))
      .receive("timeout", () => reject(new Error("timeout")));
  });
}

// ---------------------------------------------------------------------------------------------
// Notifications: user:<name>

function joinNotifications() {
  const n = state.notifications;
  const channel = state.socket.channel(`user:${state.user}`, {});
  n.channel = channel;
  channel.on("notification", (item) => {
    n.items = [item, ...n.items.filter((i) => i.id !== item.id)].slice(0, 50);
    if (!item.read) n.unread++;
    renderNotifications();
  });
  channel.join().receive("ok", ({ notifications, unread }) => {
    n.items = [...(notifications || [])].reverse();
    n.unread = unread || 0;
    renderNotifications();
  });
}

function markRead(item) {
  const n = state.notifications;
  if (item.read) return;
  n.channel.push("mark_read", { id: item.id }).receive("ok", ({ unread }) => {
    item.read = true;
    n.unread = unread;
    renderNotifications();
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering

function colorFor(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${h % 360} 55% 45%)`;
}
function avatar(name) {
  return el("span", { class: "avatar", style: `--avatar: ${colorFor(name)}`, "aria-hidden": "true" },
    name.slice(0, 1).toUpperCase());
}
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function renderRooms() {
  const list = $("rooms");
  list.replaceChildren(...[...state.rooms.values()].map((room) => {
    const others = room.online.filter((p) => p.user !== state.user).length;
    const button = el("button", { type: "button", class: "room-button", onclick: () => switchRoom(room.name) },
      el("span", { class: "hash" }, "#"),
      el("span", { class: "room-name" }, room.name),
      room.status === "refused" ? el("span", { class: "room-flag" }, "refused")
        : room.status === "joining" ? el("span", { class: "room-flag" }, "joining…")
          : room.status === "errored" ? el("span", { class: "room-flag" }, "offline")
            : null,
      room.unread ? el("span", { class: "badge" }, String(room.unread))
        : others ? el("span", { class: "room-online", title: `${others} others online` }, String(others + 1)) : null);
    return el("li", {
      class: `room${room.name === state.active ? " active" : ""}`,
      dataset: { room: room.name, status: room.status },
      "aria-current": room.name === state.active ? "true" : null,
    }, button);
  }));
  const suggestions = SUGGESTED_ROOMS.filter((r) => !state.rooms.has(r));
  $("suggestions").replaceChildren(...(suggestions.length ? [el("span", { class: "muted" }, "Try ")] : []),
    ...suggestions.map((r) => el("button", { type: "button", class: "chip chip-button", onclick: () => joinRoom(r) }, `#${r}`)));
}

function renderRoom() {
  const room = state.rooms.get(state.active);
  $("empty").hidden = !!room;
  $("composer").hidden = !room;
  $("leave-room").hidden = !room;
  $("send-error").hidden = true;
  renderRoomHeader();
  const error = $("room-error");
  if (room && room.status === "refused") {
    error.hidden = false;
    error.textContent = `Could not join #${room.name}: ${room.error}`;
  } else {
    error.hidden = true;
    error.textContent = "";
  }
  $("message").disabled = !room || room.status === "refused";
  $("send").disabled = !room || room.status === "refused";
  renderMessages();
  renderTyping();
  renderOnline();
}

function renderRoomHeader() {
  const room = state.rooms.get(state.active);
  $("room-title").textContent = room ? `#${room.name}` : "No room";
  const meta = $("room-meta");
  if (!room) meta.textContent = "";
  else if (room.status === "refused") meta.textContent = "You cannot join this room.";
  else if (room.status === "joining") meta.textContent = "Joining…";
  else if (room.status === "errored") meta.textContent = "Connection lost, rejoining…";
  else if (!presenceSupported) meta.textContent = "Joined";
  else meta.textContent = `${room.online.length} online`;
}

function messageNode(room, msg, prev) {
  const mine = msg.user === state.user;
  const grouped = prev && prev.user === msg.user && msg.at - prev.at < 5 * 60 * 1000;
  return el("li", {
    class: `message${mine ? " mine" : ""}${grouped ? " grouped" : ""}`,
    dataset: { id: String(msg.id), user: msg.user },
  },
  grouped ? el("span", { class: "avatar avatar-space" }) : avatar(msg.user),
  el("div", { class: "message-main" },
    grouped ? null : el("div", { class: "message-head" },
      el("span", { class: "author" }, msg.user),
      el("time", { datetime: new Date(msg.at).toISOString() }, timeFormat.format(msg.at))),
    el("div", { class: "body" }, msg.body)));
}

function visibleMessages(room) {
  return room.messages.filter((m) => !state.muted.has(m.user));
}

function renderMessages() {
  const list = $("messages");
  const room = state.rooms.get(state.active);
  if (!room) return list.replaceChildren();
  const msgs = visibleMessages(room);
  const nodes = msgs.map((m, i) => messageNode(room, m, msgs[i - 1]));
  if (!nodes.length && room.status === "joined") {
    nodes.push(el("li", { class: "message-empty muted" }, `No messages in #${room.name} yet. Say hello!`));
  }
  list.replaceChildren(...nodes);
  list.scrollTop = list.scrollHeight;
}

function appendMessage(room, msg) {
  if (state.muted.has(msg.user)) return;
  const list = $("messages");
  list.querySelector(".message-empty")?.remove();
  const msgs = visibleMessages(room);
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  // History merges re-sort; a live message is nearly always the newest.
  const last = msgs[msgs.length - 1];
  if (last !== msg) return renderMessages();
  list.append(messageNode(room, msg, msgs[msgs.length - 2]));
  if (nearBottom || msg.user === state.user) list.scrollTop = list.scrollHeight;
}

function renderTyping() {
  const node = $("typing");
  const room = state.rooms.get(state.active);
  const users = room ? [...room.typing.keys()].filter((u) => !state.muted.has(u)) : [];
  node.dataset.users = users.join(",");
  node.classList.toggle("visible", users.length > 0);
  if (!users.length) return; // keep the last text while it fades out
  const who = users.length === 1 ? users[0]
    : users.length === 2 ? `${users[0]} and ${users[1]}`
      : `${users.length} people`;
  node.replaceChildren(el("span", { class: "dots" }, el("i"), el("i"), el("i")),
    `${who} ${users.length === 1 ? "is" : "are"} typing…`);
}

function renderOnline() {
  const list = $("online");
  $("presence-missing").hidden = presenceSupported;
  const room = state.rooms.get(state.active);
  const online = room && room.status !== "refused" ? room.online : [];
  $("online-count").textContent = presenceSupported && room ? String(online.length) : "";
  list.replaceChildren(...online.map((p) => {
    const me = p.user === state.user;
    const muted = state.muted.has(p.user);
    return el("li", { class: `person${muted ? " muted-user" : ""}`, dataset: { user: p.user, tabs: String(p.tabs) } },
      avatar(p.user),
      el("span", { class: "person-name" }, p.user, me ? el("span", { class: "you" }, " (you)") : null),
      p.tabs > 1 ? el("span", { class: "tabs", title: `${p.tabs} tabs or devices` }, `${p.tabs} tabs`) : null,
      me ? null : el("button", {
        type: "button",
        class: "link-button mute",
        title: muted ? "Muted for this session" : `Hide messages from ${p.user}`,
        disabled: muted,
        onclick: () => toggleMute(p.user),
      }, muted ? "muted" : "mute"));
  }));
  renderRoomHeader();
}

function renderNotifications() {
  const n = state.notifications;
  const count = $("bell-count");
  count.hidden = n.unread === 0;
  count.textContent = String(n.unread);
  $("notifications-empty").hidden = n.items.length > 0;
  $("notification-list").replaceChildren(...n.items.map((item) => el("li", {
    class: `notification${item.read ? "" : " unread"}`,
    dataset: { id: String(item.id) },
    onclick: () => markRead(item),
  }, el("div", {}, item.body), el("time", { class: "muted" }, timeFormat.format(item.at)))));
}

function updateTitle() {
  const unread = [...state.rooms.values()].reduce((sum, r) => sum + r.unread, 0);
  document.title = `${unread ? `(${unread}) ` : ""}${state.active ? `#${state.active} · ` : ""}phoenix-wasm chat`;
}

// ---------------------------------------------------------------------------------------------
// Wiring

function showError(id, message) {
  const node = $(id);
  node.textContent = message || "";
  node.hidden = !message;
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = $("name").value.trim();
  if (!ROOM_NAME.test(name)) return showError("login-error", "Use 1–32 letters, digits, _ or -.");
  $("login-button").disabled = true;
  showError("login-error", "");
  try {
    await signIn(name, {});
    save();
  } catch (err) {
    state.user = null;
    showError("login-error", `Could not sign in: ${err.message}`);
  } finally {
    $("login-button").disabled = false;
  }
});

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("room-name");
  const name = input.value.trim().replace(/^#/, "");
  try {
    joinRoom(name);
    input.value = "";
    showError("join-error", "");
  } catch (err) {
    showError("join-error", err.message);
  }
});

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = $("message");
  const body = input.value.trim();
  if (!body) return;
  if (body.length > MAX_BODY) return showError("send-error", `Messages are at most ${MAX_BODY} characters.`);
  input.value = "";
  autosize(input);
  showError("send-error", "");
  lastTypingSent = 0; // the next keystroke announces typing again at once
  try {
    await sendMessage(body);
  } catch (err) {
    if (!input.value) input.value = body;
    autosize(input);
    showError("send-error", `Not sent: ${err.message}`);
  }
});

$("message").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
});
$("message").addEventListener("input", (e) => {
  autosize(e.target);
  if (e.target.value.trim()) notifyTyping();
});
function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight, 160)}px`;
}

$("leave-room").addEventListener("click", () => state.active && leaveRoom(state.active));
$("sign-out").addEventListener("click", signOut);
$("bell").addEventListener("click", (e) => {
  e.stopPropagation();
  const panel = $("notifications");
  panel.hidden = !panel.hidden;
  $("bell").setAttribute("aria-expanded", String(!panel.hidden));
});
document.addEventListener("click", (e) => {
  const panel = $("notifications");
  if (!panel.hidden && !panel.contains(e.target)) {
    panel.hidden = true;
    $("bell").setAttribute("aria-expanded", "false");
  }
});
$("binary-echo").addEventListener("click", async () => {
  const out = $("binary-result");
  out.dataset.result = "pending";
  out.textContent = "…";
  try {
    const r = await binaryEcho(1024);
    out.dataset.result = r.ok ? "ok" : "mismatch";
    out.textContent = r.ok
      ? `${r.size} bytes echoed back intact in ${r.ms.toFixed(1)} ms`
      : `The echo differed from what was sent (${r.replyType})`;
  } catch (err) {
    out.dataset.result = "error";
    out.textContent = `Binary echo failed: ${err.message}`;
  }
});
window.addEventListener("online", () => setStatus(state.status));
window.addEventListener("offline", () => setStatus(state.status));

window.chat = {
  state, config, presenceSupported, longPollSupported,
  joinRoom, leaveRoom, switchRoom, sendMessage, binaryEcho,
};

// Start: back in as the saved user, or the sign-in form.
const saved = load();
if (saved.user && ROOM_NAME.test(saved.user)) {
  signIn(saved.user, saved).catch((err) => {
    state.user = null;
    $("app").hidden = true;
    $("login").hidden = false;
    $("name").value = saved.user;
    showError("login-error", `Could not sign in: ${err.message}`);
  });
} else {
  $("login").hidden = false;
  $("name").focus();
}
if (!presenceSupported) console.warn("phoenix-wasm has no Presence export in this build: the online list is disabled");
