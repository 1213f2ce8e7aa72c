// @types/phoenix 1.6.7: Presence (instance and static), PresenceOpts, the join/leave callbacks.
import { Socket, Presence } from "phoenix";
import type { PresenceOnJoinCallback, PresenceOnLeaveCallback, PresenceOpts } from "phoenix";

const socket = new Socket("/socket");
const channel = socket.channel("room:lobby");
const presence = new Presence(channel);
const opts: PresenceOpts = { events: { state: "state", diff: "diff" } };
const custom = new Presence(socket.channel("room:custom"), opts);
const noEvents = new Presence(channel, {});
const undefinedEvents = new Presence(channel, { events: undefined });

const onJoin: PresenceOnJoinCallback = (key, currentPresence, newPresence) => {
  if (!currentPresence) console.log(`${key} joined`, newPresence.metas);
};
const onLeave: PresenceOnLeaveCallback = (key?: string, currentPresence?: any, newPresence?: any) => {
  if (currentPresence.metas.length === 0) console.log(`${key} left`, newPresence);
};
presence.onJoin(onJoin);
presence.onLeave(onLeave);
presence.onJoin((id) => console.log(id));
presence.onLeave(() => {});
presence.onSync(() => render(presence.list()));
presence.onSync(async () => {});

interface User { id: string; count: number; onlineAt: string }
function render(list: any[]) { console.log(list.length); }

const all: any[] = presence.list();
const users: User[] = presence.list((id: string, { metas: [first, ...rest] }) => ({
  id,
  count: rest.length + 1,
  onlineAt: first.online_at,
}));
const ids = presence.list<string>((id) => id);
const idsInferred: string[] = custom.list((id) => id);
const pending: boolean = presence.inPendingSyncState();

// Static API on plain states.
let state: object = {};
state = Presence.syncState(state, { alice: { metas: [{ phx_ref: "1" }] } });
state = Presence.syncState(state, { bob: { metas: [{ phx_ref: "2" }] } }, onJoin, onLeave);
state = Presence.syncState(state, {}, undefined, (key) => console.log(key));
state = Presence.syncDiff(state, { joins: { carol: { metas: [{ phx_ref: "3" }] } }, leaves: {} });
state = Presence.syncDiff(state, { joins: {}, leaves: { alice: { metas: [{ phx_ref: "1" }] } } }, onJoin, onLeave);
const listed: any[] = Presence.list(state);
const names: string[] = Presence.list(state, (key: string, presence: any) => `${key}:${presence.metas.length}`);
const typed = Presence.list<number>(state, (_key, p) => p.metas.length);

export { noEvents, undefinedEvents, all, users, ids, idsInferred, pending, listed, names, typed };
