// Memory mode across tabs (issue 14): exactly one tab holds the rotating refresh token; the
// others ask it over the channel; it hands the token over when it leaves; a new tab is logged
// in from it without a redirect. Against oidc-provider with rotation and 2 s access tokens, in
// Node: "tabs" are clients on one BroadcastChannel name with one in-process lock manager
// (Web Locks semantics incl. steal and query), default options otherwise.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createAuthClient } from "../../js/index.js";
import { InProcessLocks, sleep } from "../tabs/support.js";
import { CookieJar, authorize, startProvider } from "./provider.js";

const REDIRECT = "http://127.0.0.1/cb";
let op;
const revoked = [];
before(async () => {
  op = await startProvider({ ttl: { AccessToken: 2 } });
  op.provider.on("grant.revoked", (_ctx, grantId) => revoked.push(grantId));
});
after(() => op?.close());

// One browser profile: a channel name, a lock manager, and the refresh tokens seen on the wire.
function profile() {
  const name = `authwasm-holder-test-${Math.random()}`;
  const locks = new InProcessLocks();
  const presented = [];   // [refresh token, tab] in order
  const navigations = [];
  const tabs = [];
  // `inboundDelayMs`: this tab hears every message that late (a slow, loaded tab).
  const open = async (label, { inboundDelayMs = 0 } = {}) => {
    const channel = inboundDelayMs ? delayedChannel(new BroadcastChannel(name), inboundDelayMs) : new BroadcastChannel(name);
    const events = [];
    const items = new Map();
    const auth = await createAuthClient({
      issuer: op.issuer, clientId: "spa", redirectUri: REDIRECT, refresh: "memory", channel, locks,
      storage: { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) },
      navigate: (url) => navigations.push([label, url]),
      fetch: (input, init) => {
        const body = init?.body ? new URLSearchParams(String(init.body)) : null;
        if (body?.get("grant_type") === "refresh_token") presented.push([body.get("refresh_token"), label]);
        return fetch(input, init);
      },
    });
    for (const e of ["login", "logout", "refresh", "error"]) auth.on(e, (d) => events.push([e, d.reason ?? d.source ?? d.error?.code]));
    const tab = {
      label, auth, channel, events, closed: false,
      close() {
        if (tab.closed) return;
        tab.closed = true;
        auth.close(); // pagehide: the holder hands off, the others say bye
        channel.close();
      },
      // A crash: none of its code runs, nothing reaches the channel, the browser frees its locks
      // (here: the channel dies first, so the hand-off close() attempts reaches nobody).
      crash() {
        tab.closed = true;
        channel.close();
        auth.close();
      },
    };
    tabs.push(tab);
    return tab;
  };
  const login = async (tab) => {
    await tab.auth.login();
    await tab.auth.handleRedirectCallback(await authorize(new CookieJar(), navigations.at(-1)[1]));
  };
  return { open, login, tabs, presented, navigations, close: () => tabs.forEach((t) => t.close()) };
}

const holds = (tab) => tab.auth.session().holdsRefreshToken === true;

// A BroadcastChannel whose listeners hear each message `ms` late (what js/tabs.js uses of it).
function delayedChannel(channel, ms) {
  const listeners = new Map();
  return {
    postMessage: (m) => channel.postMessage(m),
    addEventListener(type, fn) {
      const late = (event) => setTimeout(() => fn(event), ms);
      listeners.set(fn, late);
      channel.addEventListener(type, late);
    },
    removeEventListener(type, fn) {
      channel.removeEventListener(type, listeners.get(fn));
    },
    close: () => channel.close(),
  };
}

describe("one refresh-token holder for the profile (memory mode, oidc-provider)", () => {
  test("log in in tab 1, open 3 more (no redirect), expire 3 times, hand off on close, reload: 1 grant per expiry, 0 revocations, never two presenters", { timeout: 90_000 }, async () => {
    const p = profile();
    const revokedBefore = revoked.length;
    try {
      const t1 = await p.open("t1");
      await p.login(t1);
      assert.equal(holds(t1), true);
      const navigationsAfterLogin = p.navigations.length;

      // Three tabs opened later are logged in from the holder, without a redirect.
      const others = [await p.open("t2"), await p.open("t3"), await p.open("t4")];
      for (const t of others) assert.equal((await t.auth.restore())?.sub, "alice", `${t.label} restored`);
      assert.equal(p.navigations.length, navigationsAfterLogin, "no navigation to restore");
      for (const t of others) assert.equal(holds(t), false);

      // Three expiries: every tab asks at once; the holder refreshes once per cycle.
      const all = () => p.tabs.filter((t) => !t.closed);
      const cycle = async (label) => {
        await sleep(2100); // the 2 s tokens are past their (capped) leeway everywhere
        const before = p.presented.length;
        const users = await Promise.all(all().map((t) => t.auth.userinfo()));
        for (const u of users) assert.equal(u.sub, "alice", label);
        assert.equal(p.presented.length - before, 1, `${label}: one refresh grant`);
      };
      for (let i = 1; i <= 3; i++) await cycle(`cycle ${i}`);

      // The holder closes: it hands the refresh token to another live tab.
      t1.close();
      await sleep(50);
      const newHolders = all().filter(holds);
      assert.equal(newHolders.length, 1, "exactly one tab holds the refresh token after the hand-off");
      await cycle("after the hand-off");

      // A reload: the tab goes (bye) and comes back, logged in from the holder.
      const reloaded = all().find((t) => !holds(t));
      reloaded.close();
      const back = await p.open(`${reloaded.label}-reloaded`);
      assert.equal((await back.auth.restore())?.sub, "alice");
      await cycle("after the reload");

      const tokens = p.presented.map(([token]) => token);
      assert.equal(new Set(tokens).size, tokens.length, "no refresh token was presented twice");
      assert.equal(revoked.length - revokedBefore, 0, "no grant revoked");
      for (const t of all()) assert.deepEqual(t.events.filter(([e]) => e === "logout"), [], `${t.label}: no logout`);
      assert.equal(p.navigations.length, navigationsAfterLogin, "no navigation at all after the login");
    } finally {
      p.close();
    }
  });

  test("a holder that vanishes without a hand-off: the others log out with reason holder_gone at their next refresh", { timeout: 30_000 }, async () => {
    const p = profile();
    try {
      const t1 = await p.open("t1");
      await p.login(t1);
      const t2 = await p.open("t2");
      assert.equal((await t2.auth.restore())?.sub, "alice");
      t1.crash();
      await sleep(2100);
      await assert.rejects(t2.auth.getAccessToken(), (e) => e.code === "invalid_grant");
      assert.deepEqual(t2.events.filter(([e]) => e === "logout"), [["logout", "holder_gone"]]);
      assert.equal(t2.auth.isAuthenticated, false);
    } finally {
      p.close();
    }
  });

  // The holder's token is fresh when it answers and inside the leeway when a slow tab hears it
  // (2 s tokens: leeway 1 s; answered with ~1.2 s left, heard 0.4 s later). Before, the asker
  // waited out its whole deadline (timeout); now it asks again and the holder refreshes.
  test("a token that is due by the time a slow tab hears it: the tab asks again, the holder refreshes once", { timeout: 30_000 }, async () => {
    const p = profile();
    try {
      const t1 = await p.open("t1");
      await p.login(t1);
      while (t1.auth.session().expiresIn > 1.25) await sleep(10);
      const before = p.presented.length;
      const slow = await p.open("slow", { inboundDelayMs: 400 });
      const started = performance.now();
      assert.equal((await slow.auth.restore())?.sub, "alice");
      assert.ok(performance.now() - started < 5000, `restored in ${Math.round(performance.now() - started)} ms, not at the deadline`);
      assert.equal(p.presented.length - before, 1, "the holder refreshed once");
      assert.ok(slow.auth.session().expiresIn > 1, "the slow tab got the refreshed token");
      assert.deepEqual(slow.events.filter(([e]) => e === "logout" || e === "error"), []);
    } finally {
      p.close();
    }
  });

  test("the holder's refresh fails (provider down): the asking tab gets the holder's error at once, the session is kept", { timeout: 30_000 }, async () => {
    const p = profile();
    try {
      const t1 = await p.open("t1");
      await p.login(t1);
      const t2 = await p.open("t2");
      await t2.auth.restore();
      await sleep(2100);
      const realFetch = globalThis.fetch;
      globalThis.fetch = async () => { throw new TypeError("fetch failed"); };
      try {
        const started = performance.now();
        await assert.rejects(t2.auth.getAccessToken(), (e) => e.code === "network");
        assert.ok(performance.now() - started < 3000, "not left to its deadline");
      } finally {
        globalThis.fetch = realFetch;
      }
      assert.equal(t2.auth.isAuthenticated, true);
      assert.equal((await t2.auth.userinfo()).sub, "alice", "works again once the provider answers");
    } finally {
      p.close();
    }
  });
});
