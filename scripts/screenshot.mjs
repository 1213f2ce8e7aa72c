// Regenerates docs/screenshot.png: the demo chat with two users talking, as alice sees it.
//
//   npm run build && node www/build.mjs && cargo build -p phoenix-server
//   node scripts/screenshot.mjs [out.png]
//
// Runs the reference server ($PHX_SERVER_BIN, default target/debug/phoenix-server) on an
// ephemeral port and drives Debian Chromium (never downloaded) with two browser contexts.
import path from "node:path";
import { startServer, launchBrowser, openChat, ROOT } from "../tests/browser/e2e/helpers.mjs";

const out = path.resolve(process.argv[2] || path.join(ROOT, "docs", "screenshot.png"));
const server = await startServer();
const browser = await launchBrowser();
try {
  const viewport = { width: 1180, height: 700 };
  const alice = await openChat(browser, server, "alice", { viewport, query: "typing=60000" });
  const bob = await openChat(browser, server, "bob", { viewport, query: "typing=60000" });
  const carol = await openChat(browser, server, "carol", { viewport });
  for (const c of [alice, bob]) {
    await c.joinRoom("rust");
    await c.waitJoined("rust");
    await c.switchRoom("lobby");
  }

  await bob.send("Hey alice! Is this chat really running on WebAssembly?");
  await alice.send("Yes: the Phoenix Channels client is Rust compiled to wasm, a drop-in for phoenix.js.");
  await bob.send("Same Socket / Channel / Presence API?");
  await alice.send("Exactly the same. `import {Socket, Presence} from \"phoenix-wasm\"` and that's it.");
  await carol.send("Reconnects, presence and binary frames all work too");
  await bob.send("Nice. Kill the server and watch the banner while it reconnects.");
  // Something unread in another room, and bob typing again.
  await bob.switchRoom("rust");
  await bob.send("Anyone benchmarked the wasm build?");
  await bob.switchRoom("lobby");
  await carol.close();
  await bob.page.locator("#message").pressSequentially("Trying it", { delay: 30 });
  await alice.page.locator('#typing[data-users="bob"]').waitFor();
  await alice.page.locator('#rooms li[data-room="rust"] .badge').waitFor();
  if (await alice.page.evaluate(() => window.chat.presenceSupported)) await alice.waitOnline(["alice", "bob"]);
  await alice.page.locator("#message").fill("");
  await alice.page.evaluate(() => document.activeElement?.blur());
  await alice.page.screenshot({ path: out });
  alice.assertClean();
  bob.assertClean();
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await browser.close();
  await server.stop();
}
