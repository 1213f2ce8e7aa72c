// Two people chatting in the demo page (www/) against the reference server, each in their own
// browser context: messages reach both, history loads for a late joiner, presence, typing.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, browserTestOptions } from "./helpers.mjs";

const { serverFor, chatFor } = useBrowser({ before, after, afterEach });

test("two contexts chat: messages reach both, in order, with author", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  const bob = await chatFor(server, "bob");
  await alice.joinRoom("general");
  await bob.joinRoom("general");
  await alice.waitJoined("general");
  await bob.waitJoined("general");

  await alice.send("hi bob");
  await bob.waitMessage("hi bob");
  await bob.send("hey alice <b>not bold</b>");
  await alice.waitMessage("hey alice <b>not bold</b>");

  const want = [{ user: "alice", body: "hi bob" }, { user: "bob", body: "hey alice <b>not bold</b>" }];
  assert.deepEqual(await alice.messages(), want);
  assert.deepEqual(await bob.messages(), want);
  // User text is text, never markup.
  assert.equal(await alice.page.locator("#messages b").count(), 0);

  // A message to another room shows as unread in the room list, not in the open room.
  await bob.joinRoom("random");
  await bob.waitJoined("random");
  await alice.joinRoom("random");
  await alice.waitJoined("random");
  await alice.switchRoom("general");
  await bob.send("over in random");
  await alice.page.locator('#rooms li[data-room="random"] .badge', { hasText: "1" }).waitFor();
  assert.equal(await alice.page.locator("#messages .body", { hasText: "over in random" }).count(), 0);
  assert.match(await alice.page.title(), /^\(1\) /);
  await alice.switchRoom("random");
  await alice.waitMessage("over in random");
  assert.equal(await alice.page.locator('#rooms li[data-room="random"] .badge').count(), 0);

  // The server refuses bodies over 2,000 characters (reply error "invalid body").
  const tooLong = "x".repeat(2001);
  const refused = await alice.page.evaluate((body) => window.chat.sendMessage(body).then(() => "sent", (e) => e.message), tooLong);
  assert.equal(refused, "invalid body");

  alice.assertClean();
  bob.assertClean();
});

test("a late joiner gets the room's history in the join reply", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  await alice.joinRoom("history");
  await alice.waitJoined("history");
  for (let i = 1; i <= 5; i++) await alice.send(`old message ${i}`);
  alice.assertClean();
  await alice.close();

  const carol = await chatFor(server, "carol");
  await carol.joinRoom("history");
  await carol.waitJoined("history");
  await carol.waitMessage("old message 5");
  assert.deepEqual(
    await carol.messages(),
    [1, 2, 3, 4, 5].map((i) => ({ user: "alice", body: `old message ${i}` })),
  );
  carol.assertClean();
});

test("presence: both users online, several tabs of one user shown once, then one leaves", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  await alice.requirePresence();
  const bob = await chatFor(server, "bob");
  await alice.waitOnline(["alice", "bob"]);
  await bob.waitOnline(["alice", "bob"]);

  // bob opens a second tab (same context, so already signed in): still one bob, with 2 tabs.
  const bobTab2 = await openSecondTab(bob);
  await alice.page.locator('#online .person[data-user="bob"][data-tabs="2"]').waitFor();
  assert.deepEqual(await alice.online(), [{ user: "alice", tabs: 1 }, { user: "bob", tabs: 2 }]);
  assert.match(await alice.page.locator("#room-meta").textContent(), /2 online/);

  await bobTab2.page.close();
  await alice.page.locator('#online .person[data-user="bob"][data-tabs="1"]').waitFor();

  // bob closes his last tab: alice sees him leave.
  bob.assertClean();
  bobTab2.assertClean();
  await bob.close();
  await alice.waitOnline(["alice"]);
  assert.match(await alice.page.locator("#room-meta").textContent(), /1 online/);
  alice.assertClean();
});

test("typing indicator appears for the other user and fades", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice", { query: "typing=1500" });
  const bob = await chatFor(server, "bob", { query: "typing=1500" });
  // Times of the indicator's changes, taken in the page (independent of how fast we poll).
  await alice.page.evaluate(() => {
    const node = document.getElementById("typing");
    window.__typingLog = [];
    new MutationObserver(() => window.__typingLog.push([Date.now(), node.dataset.users]))
      .observe(node, { attributes: true, attributeFilter: ["data-users"] });
  });
  await bob.page.locator("#message").pressSequentially("hello", { delay: 20 });
  const typing = alice.page.locator("#typing");
  await alice.page.locator('#typing[data-users="bob"]').waitFor();
  assert.match(await typing.textContent(), /bob is typing/);
  assert.equal(await alice.page.locator("#typing.visible").count(), 1);
  // bob never sees himself typing.
  assert.equal(await bob.page.locator("#typing").getAttribute("data-users"), "");
  // No more keystrokes: it fades after ?typing=1500 ms.
  await alice.page.locator('#typing[data-users=""]:not(.visible)').waitFor({ timeout: 5000 });
  const log = await alice.page.evaluate(() => window.__typingLog);
  const shownAt = log.find(([, users]) => users === "bob")[0];
  const goneAt = log.find(([at, users]) => users === "" && at > shownAt)[0];
  assert.ok(goneAt - shownAt >= 1400 && goneAt - shownAt < 3000, `shown for ${goneAt - shownAt} ms (?typing=1500)`);

  // A message from bob clears his indicator at once.
  await bob.page.locator("#message").pressSequentially(" again", { delay: 20 });
  await alice.page.locator('#typing[data-users="bob"]').waitFor();
  await bob.page.press("#message", "Enter");
  await alice.waitMessage("hello again");
  assert.equal(await typing.getAttribute("data-users"), "");
  alice.assertClean();
  bob.assertClean();
});

async function openSecondTab(chat) {
  const page = await chat.context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`); });
  await page.goto(chat.page.url());
  // Signed in from localStorage: no form.
  await page.locator('#status[data-state="connected"]').waitFor();
  await page.locator('#rooms li[data-room="lobby"][data-status="joined"]').waitFor();
  return { page, assertClean: () => assert.deepEqual(errors, [], `${chat.name} tab 2: page errors`) };
}
