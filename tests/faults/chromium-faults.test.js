// Faults where the cross-tab lock matters: 4 tabs of one Chromium profile on
// tests/faults/page, served through the fault proxy (same origin as /auth and /api), 2-second
// access tokens, default client options except timeoutSeconds: 2. While one tab's refresh is
// stuck it holds the Web Lock and the other tabs wait behind it; every tab's call must still
// settle within the deadline, nobody may stay stuck afterwards, and the session must survive.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTogether, logouts, startBrowserStack } from "./browser-stack.js";
import { SLACK_MS } from "./support.js";

const TABS = 4;
const ACCESS_TTL_S = 2;
const TIMEOUT_S = 2;
const REFRESH = "/auth/refresh";

let stack;
before(async () => {
  stack = await startBrowserStack({ accessTtl: ACCESS_TTL_S });
  for (let i = 0; i < TABS; i++) await stack.openTab(`?timeout=${TIMEOUT_S}`);
});
after(() => stack?.stop());

const untilRefreshDueEverywhere = () =>
  Promise.all(stack.tabs.map((t) => t.page.evaluate((ttl) => window.untilRefreshDue(ttl), ACCESS_TTL_S)));

async function mark() {
  const before = await stack.stats();
  const received = stack.proxy.received(REFRESH);
  return async () => {
    const now = await stack.stats();
    return { received: stack.proxy.received(REFRESH) - received,
             ...Object.fromEntries(Object.keys(now).map((k) => [k, now[k] - (before[k] ?? 0)])) };
  };
}

async function assertNobodyLoggedOut() {
  for (const [i, tab] of stack.tabs.entries()) {
    assert.deepEqual(await logouts(tab), [], `tab ${i}: no logout event`);
    assert.equal(await tab.page.evaluate(() => window.auth.isAuthenticated), true, `tab ${i}: authenticated`);
    assert.deepEqual(tab.errors.filter((e) => e.startsWith("pageerror")), [], `tab ${i}: no uncaught error`);
  }
}

/** All tabs call at once with the fault lifted: every call 200, exactly one refresh. */
async function assertAllTabsWork(what) {
  await untilRefreshDueEverywhere();
  const since = await mark();
  const calls = await callTogether(stack.tabs);
  assert.deepEqual(calls.map((c) => c.result), Array(TABS).fill(200), `${what}: ${JSON.stringify(calls)}`);
  const counts = await since();
  assert.equal(counts.received, 1, `${what}: exactly one refresh for ${TABS} tabs`);
  return counts;
}

/** Every call settled with one of `codes` within the deadline plus slack. */
function assertSettledInTime(calls, codes, what) {
  for (const [i, call] of calls.entries()) {
    assert.ok(codes.includes(call.result), `${what}, tab ${i}: ${call.result}`);
    assert.ok(call.ms <= TIMEOUT_S * 1000 + SLACK_MS, `${what}, tab ${i}: settled after ${Math.round(call.ms)} ms`);
  }
}

describe(`${TABS} Chromium tabs behind the fault proxy`, () => {
  test("a login in one tab signs in all of them", async () => {
    await stack.tabs[0].page.evaluate(() => window.auth.loginWithPassword("demo", "demo-password"));
    await Promise.all(stack.tabs.map((t) => t.page.waitForFunction(() => window.auth.user !== null, null, { timeout: 5000 })));
  });

  test("(a) black-holed refresh: every tab's call rejects with timeout within the deadline; none is stuck behind the lock", async () => {
    await untilRefreshDueEverywhere();
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "blackhole" });
    let calls;
    try {
      calls = await callTogether(stack.tabs);
    } finally {
      stack.proxy.clear(REFRESH);
    }
    assertSettledInTime(calls, ["timeout"], "black hole");
    const { received } = await since();
    assert.ok(received >= 1 && received <= TABS, `refresh requests during the hole: ${received} (calls: ${TABS})`);
    await assertNobodyLoggedOut();
    const counts = await assertAllTabsWork("after the black hole");
    assert.equal(counts.refresh_reuse, 0);
  });

  test("a tab waiting behind another tab's stuck refresh: its own AbortSignal ends the wait within 50 ms", async () => {
    await untilRefreshDueEverywhere();
    stack.proxy.fault(REFRESH, { kind: "blackhole" });
    try {
      const holder = stack.tabs[0].page.evaluate(() => window.apiCall());
      await stack.tabs[0].page.waitForTimeout(300); // tab 0 holds the lock now
      const waiter = await stack.tabs[1].page.evaluate(() => window.apiCall({ signalMs: 500 }));
      assert.equal(waiter.result, "TimeoutError", "the caller's own reason (AbortSignal.timeout)");
      assert.ok(waiter.ms < 500 + 200, `settled after ${Math.round(waiter.ms)} ms`);
      assert.equal((await holder).result, "timeout");
    } finally {
      stack.proxy.clear(REFRESH);
    }
    await assertNobodyLoggedOut();
  });

  test("(d) lost response in the tab that holds the lock: grace keeps every tab logged in", async () => {
    await untilRefreshDueEverywhere();
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "lost", deliver: "hold", times: 1 });
    const calls = await callTogether(stack.tabs);
    stack.proxy.clear(REFRESH);
    assertSettledInTime(calls, ["timeout", 200], "lost response");
    const lost = await since();
    assert.ok(lost.refresh_rotated >= 1, "the server rotated");
    assert.equal(lost.refresh_reuse, 0);
    await assertNobodyLoggedOut();
    await assertAllTabsWork("after the lost response");
    const counts = await since();
    assert.ok(counts.refresh_grace >= 1, "the old cookie was answered within grace");
    assert.equal(counts.refresh_reuse, 0);
    assert.ok(counts.received <= TABS + 1, `refresh requests: ${counts.received}`);
  });

  test("(f) server killed and restarted mid-session: calls fail in time while it is down, then every tab keeps its session", async () => {
    await stack.crash();
    try {
      await untilRefreshDueEverywhere();
      const calls = await callTogether(stack.tabs);
      assertSettledInTime(calls, ["network", "timeout"], "server down");
      await assertNobodyLoggedOut();
    } finally {
      await stack.start();
    }
    await assertAllTabsWork("after the restart");
    const stats = await stack.stats();
    assert.equal(stats.refresh_reuse, 0);
    assert.equal(stats.refresh_rejected, 0);
    await assertNobodyLoggedOut();
  });

  test("a reload after all of it is signed in again through one silent refresh", async () => {
    const tab = stack.tabs[1];
    await tab.page.reload();
    await tab.page.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
    assert.notEqual(await tab.page.evaluate(() => window.auth.user?.sub ?? null), null);
    assert.deepEqual((await tab.page.evaluate(() => window.calls)), []);
  });
});
