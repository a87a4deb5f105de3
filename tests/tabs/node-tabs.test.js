// The cross-tab scenarios in Node: several AuthClients in one process stand for tabs of one
// profile (one cookie jar), talking over Node's BroadcastChannel, serialised by an injected
// in-process lock (or by the channel fallback with locks: null), against the real reference
// server with 3-second access tokens and a strict rotation (--grace 0).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAuthClient } from "../../js/index.js";
import {
  ACCESS_TTL_S, CLIENT_ID, InProcessLocks, profileFetch, sleep, startTabServer, stats, waitUntil,
} from "./support.js";

let channelCount = 0;

async function openTabs(server, n, { locks, fetch = profileFetch(server.origin) } = {}) {
  const name = `authwasm-tabs-test-${process.pid}-${++channelCount}`;
  const tabs = [];
  for (let i = 0; i < n; i++) tabs.push(await openTab(server, { name, locks, fetch }));
  tabs.fetch = fetch;
  tabs.name = name;
  return tabs;
}

async function openTab(server, { name, locks, fetch }) {
  const channel = new BroadcastChannel(name);
  const client = await createAuthClient({
    issuer: server.url, clientId: CLIENT_ID, fetch, channel, locks, // default leeway (capped at half the 3 s lifetime)
  });
  const events = [];
  for (const event of ["login", "logout", "refresh", "error"]) client.on(event, (d) => events.push({ event, ...d }));
  return { client, channel, events, close() { client.close(); channel.close(); } };
}

const closeAll = (tabs) => tabs.forEach((t) => t.close());

async function loginEverywhere(tabs) {
  await tabs[0].client.loginWithPassword("demo", "demo-password");
  await waitUntil(() => tabs.every((t) => t.client.user?.sub), 5000, "every tab to adopt the login");
}

/** Sleeps until the tabs' (shared) access token has expired, then every tab calls the API at once. */
async function expireAndCallEverywhere(server, tabs) {
  const left = Math.max(...tabs.map((t) => t.client.session().expiresIn ?? 0));
  await sleep(left * 1000 + 30);
  assert.ok(tabs.every((t) => t.client.session().expiresIn === 0), "every token has expired");
  return Promise.all(tabs.map((t) => t.client.fetch(`${server.url}/api/posts`)));
}

for (const mode of ["web locks", "channel fallback (no Web Locks)"]) {
  describe(`8 tabs, ${mode}`, () => {
    let server, tabs, locks;
    before(async () => {
      // The channel-claim fallback narrows the race that Web Locks close; the server's grace
      // window covers what is left (docs/tabs.md "Without Web Locks"), so it runs with one.
      server = await startTabServer(mode === "web locks" ? {} : { grace: 10 });
      locks = mode === "web locks" ? new InProcessLocks() : null;
      tabs = await openTabs(server, 8, { locks });
      await loginEverywhere(tabs);
    });
    after(async () => {
      closeAll(tabs);
      await server.stop();
    });

    test("a login in one tab logs every other tab in, without a request", async () => {
      const s = await stats(server);
      assert.equal(s.logins, 1);
      assert.equal(s.refresh_requests, 0);
      for (const t of tabs.slice(1)) {
        assert.deepEqual(t.events.map((e) => `${e.event}:${e.source}`), ["login:other_tab"]);
        assert.equal(t.client.user.sub, tabs[0].client.user.sub);
        assert.ok(t.client.session().expiresIn > 0);
      }
    });

    test("3 expiry cycles: 8 simultaneous API calls cost exactly 1 refresh each, all succeed", async () => {
      for (let cycle = 1; cycle <= 3; cycle++) {
        const before = await stats(server);
        const responses = await expireAndCallEverywhere(server, tabs);
        assert.deepEqual(responses.map((r) => r.status), Array(8).fill(200), `cycle ${cycle}`);
        const after = await stats(server);
        if (locks) {
          assert.equal(after.refresh_requests - before.refresh_requests, 1, `cycle ${cycle}: refreshes`);
        } else { // two claims that missed each other: one rotation, the other a grace sibling at most
          assert.equal(after.refresh_rotated - before.refresh_rotated, 1, `cycle ${cycle}: rotations`);
          assert.ok(after.refresh_requests - before.refresh_requests <= 2, `cycle ${cycle}: refreshes`);
        }
        assert.equal(after.refresh_reuse, 0, `cycle ${cycle}: reuse`);
      }
      const logouts = tabs.flatMap((t) => t.events.filter((e) => e.event === "logout" || e.event === "error"));
      assert.deepEqual(logouts, []);
      // Every tab but the one that refreshed learnt the token from the channel.
      const network = tabs.map((t) => t.events.filter((e) => e.event === "refresh" && e.source === "network").length);
      if (locks) assert.equal(network.reduce((a, b) => a + b, 0), 3);
      else assert.ok(network.reduce((a, b) => a + b, 0) >= 3);
      if (locks) assert.ok(locks.granted >= 3);
    });

    test("logout in tab 1 reaches every tab; their next API call does not refresh", async () => {
      const before = await stats(server);
      const started = Date.now();
      await tabs[0].client.logout();
      await waitUntil(() => tabs.every((t) => t.client.user === null && !t.client.isAuthenticated), 1000,
                      "every tab logged out within 1 s");
      assert.ok(Date.now() - started < 1000);
      for (const t of tabs.slice(1)) assert.equal(t.events.at(-1).reason, "other_tab");
      assert.equal(tabs[0].events.at(-1).reason, "user");
      for (const t of tabs.slice(1)) {
        await assert.rejects(t.client.fetch(`${server.url}/api/posts`), { code: "not_authenticated" });
      }
      const after = await stats(server);
      assert.equal(after.refresh_requests, before.refresh_requests);
    });
  });
}

describe("tabs that open later", () => {
  let server, tabs;
  before(async () => {
    server = await startTabServer();
    tabs = await openTabs(server, 2, { locks: new InProcessLocks() });
    await loginEverywhere(tabs);
  });
  after(async () => {
    closeAll(tabs);
    await server.stop();
  });

  test("a new tab (or a reloaded one) restores from the shared cookie; the others adopt its token", async () => {
    const before = await stats(server);
    const late = await openTab(server, { name: tabs.name, locks: new InProcessLocks(), fetch: tabs.fetch });
    tabs.push(late);
    const user = await late.client.restore();
    assert.equal(user.sub, tabs[0].client.user.sub);
    assert.equal((await stats(server)).refresh_requests - before.refresh_requests, 1);
    await waitUntil(() => tabs[0].events.some((e) => e.event === "refresh" && e.source === "other_tab"), 2000,
                    "tab 0 to adopt the restored token");
    assert.equal(tabs[0].client.session().refreshCount, 0);
  });

  test("logout everywhere: 'everywhere' here, 'other_tab' there", async () => {
    await tabs[1].client.logout({ everywhere: true });
    await waitUntil(() => tabs.every((t) => t.client.user === null), 1000, "every tab logged out");
    assert.equal(tabs[1].events.at(-1).reason, "everywhere");
    assert.equal(tabs[0].events.at(-1).reason, "other_tab");
  });
});

describe("hostile or broken messages", () => {
  let server, tabs, intruder;
  before(async () => {
    server = await startTabServer();
    tabs = await openTabs(server, 2, { locks: new InProcessLocks() });
    await loginEverywhere(tabs);
    intruder = new BroadcastChannel(tabs.name);
  });
  after(async () => {
    intruder.close();
    closeAll(tabs);
    await server.stop();
  });

  test("are ignored and counted, never acted on", async () => {
    const target = tabs[1].client;
    const before = target.session().tabMessages;
    const junk = [
      "not json", 42, { type: "logged_out" }, JSON.stringify({ v: 1, type: "logged_out" }),
      JSON.stringify({ v: 2, type: "logged_out", from: "A".repeat(22), seq: 1, at: Date.now() }),
      JSON.stringify({ v: 1, type: "steal", from: "A".repeat(22), seq: 1, at: Date.now() }),
      JSON.stringify({ v: 1, type: "logged_out", from: "A".repeat(22), seq: 1, at: Date.now() - 120_000 }),
    ];
    for (const message of junk) intruder.postMessage(message);
    await waitUntil(() => target.session().tabMessages.received - before.received === junk.length, 2000, "delivery");
    const after = target.session().tabMessages;
    assert.equal(after.acted, before.acted);
    assert.equal(after.ignored.malformed - before.ignored.malformed, 4);
    assert.equal(after.ignored.version - before.ignored.version, 1);
    assert.equal(after.ignored.unknown_type - before.ignored.unknown_type, 1);
    assert.equal(after.ignored.stale - before.ignored.stale, 1);
    assert.ok(target.isAuthenticated);
    assert.deepEqual(tabs[1].events.map((e) => e.event), ["login"]);
  });
});

describe("a tab whose refresh is refused tells the others", () => {
  let server, tabs;
  before(async () => {
    server = await startTabServer();
    tabs = await openTabs(server, 3, { locks: new InProcessLocks() });
    await loginEverywhere(tabs);
  });
  after(async () => {
    closeAll(tabs);
    await server.stop();
  });

  test("invalid_grant in one tab: session_expired in all, one refresh request in total", async () => {
    tabs.fetch.jar.clear(); // the cookie is gone (expired, or cleared by the user)
    await sleep(ACCESS_TTL_S * 1000 + 30);
    const before = await stats(server);
    await assert.rejects(tabs[0].client.getAccessToken(), { code: "invalid_grant" });
    await waitUntil(() => tabs.every((t) => t.client.user === null), 1000, "every tab logged out");
    for (const t of tabs) assert.equal(t.events.at(-1).reason, "session_expired");
    for (const t of tabs.slice(1)) await assert.rejects(t.client.getAccessToken(), { code: "not_authenticated" });
    assert.equal((await stats(server)).refresh_requests - before.refresh_requests, 1);
  });
});
