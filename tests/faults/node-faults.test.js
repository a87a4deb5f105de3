// Network faults between the client (in Node, one tab) and the real reference server, through
// tests/support/fault-proxy.js. 2-second access tokens and DEFAULT client options (leeway
// included); only `timeoutSeconds` is shortened where the default 10 s deadline would make the
// suite slow, and one test keeps the default. For every fault: no false logout, no call pending
// past its deadline, no retry storm (requests counted at the proxy and the server stay bounded
// by the calls made), and once the fault is lifted the session works again without a login.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AuthError } from "authwasm";
import { InProcessLocks } from "../tabs/support.js";
import { SLACK_MS, loggedInTab, sleep, startStack, timed } from "./support.js";

const ACCESS_TTL_S = 2;
const TIMEOUT_S = 2; // the short deadline of most tests here
const REFRESH = "/auth/refresh";

let stack;
before(async () => {
  stack = await startStack({ accessTtl: ACCESS_TTL_S });
});
after(() => stack?.stop());

const api = () => `${stack.url}/api/posts`;

/** Waits until the token is due for refresh under the effective leeway (half its 2 s life). */
async function untilRefreshDue(auth) {
  while (auth.session().expiresIn > ACCESS_TTL_S / 2 - 0.1) await sleep(50);
}

function isTimeout(error, timeoutMs) {
  return error instanceof AuthError && error.code === "timeout" &&
    String(error.cause?.url).endsWith(REFRESH) && error.cause?.timeoutMs === timeoutMs;
}

const isAbort = (error, signal) => error === signal.reason && error?.name === "AbortError";

/** No logout event, still authenticated, and an API call goes through, without a login. */
async function assertSessionSurvived(tab, what) {
  assert.deepEqual(tab.logouts(), [], `${what}: no logout event`);
  assert.equal(tab.auth.isAuthenticated, true, `${what}: still authenticated`);
  const response = await tab.auth.fetch(api());
  assert.equal(response.status, 200, `${what}: the session works again`);
  assert.equal(tab.events.filter((e) => e.event === "login").length, 1, `${what}: no second login`);
}

/** Counts at the proxy and the server since `mark()`. */
async function mark() {
  const stats = await stack.stats();
  const at = { received: stack.proxy.received(REFRESH), forwarded: stack.proxy.forwarded(REFRESH), stats };
  return async () => {
    const now = await stack.stats();
    const delta = Object.fromEntries(Object.keys(now).map((k) => [k, now[k] - at.stats[k]]));
    return { received: stack.proxy.received(REFRESH) - at.received, forwarded: stack.proxy.forwarded(REFRESH) - at.forwarded, ...delta };
  };
}

describe("short-lived tokens with the default leeway", () => {
  test("2 s tokens: 12 calls over 3 s all succeed, the first needs no refresh, refreshes only when due", async () => {
    const tab = await loggedInTab(stack);
    const since = await mark();
    const statuses = [];
    const first = await tab.auth.fetch(api());
    statuses.push(first.status);
    assert.equal((await since()).received, 0, "a token that just arrived is used, not refreshed");
    for (let i = 0; i < 11; i++) {
      await sleep(250);
      statuses.push((await tab.auth.fetch(api())).status);
    }
    assert.deepEqual(statuses, Array(12).fill(200));
    const { received, refresh_rotated } = await since();
    // 3 s of calls with a refresh due every ~1 s (half the lifetime): 2 to 4, never one per call.
    assert.ok(received >= 2 && received <= 4, `refresh requests: ${received}`);
    assert.equal(refresh_rotated, received);
    assert.deepEqual(tab.logouts(), []);
  });

  test("1 s tokens: every call succeeds", async () => {
    const fast = await startStack({ accessTtl: 1 });
    try {
      const tab = await loggedInTab(fast);
      const statuses = [];
      for (let i = 0; i < 10; i++) {
        statuses.push((await tab.auth.fetch(`${fast.url}/api/posts`)).status);
        await sleep(200);
      }
      assert.deepEqual(statuses, Array(10).fill(200));
      const refreshes = fast.proxy.received(REFRESH);
      assert.ok(refreshes >= 2 && refreshes <= 6, `refresh requests for 2 s of calls: ${refreshes}`);
      assert.deepEqual(tab.logouts(), []);
    } finally {
      await fast.stop();
    }
  });
});

describe("(a) black hole: /auth/refresh accepts and never answers", () => {
  test("default 10 s deadline: the call rejects with timeout after 10 s, the session is kept", async () => {
    const tab = await loggedInTab(stack); // no timeoutSeconds: the default
    await untilRefreshDue(tab.auth);
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "blackhole" });
    try {
      const { ms, error } = await timed(tab.auth.fetch(api()));
      assert.ok(isTimeout(error, 10_000), `expected timeout (10000 ms), got ${error?.code} ${JSON.stringify(error?.cause)}`);
      assert.ok(ms >= 9_900 && ms <= 10_000 + SLACK_MS, `settled after ${Math.round(ms)} ms`);
    } finally {
      stack.proxy.clear(REFRESH);
    }
    assert.equal((await since()).received, 1);
    await assertSessionSurvived(tab, "after a 10 s black hole");
  });

  test("short deadline: 4 concurrent callers share one request, all reject with timeout in time; no background retry", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
    await untilRefreshDue(tab.auth);
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "blackhole" });
    const start = performance.now();
    const calls = [tab.auth.fetch(api()), tab.auth.fetch(api()), tab.auth.getAccessToken(), tab.auth.fetch(api())];
    const results = await Promise.all(calls.map((c) => timed(c, start)));
    for (const { ms, error } of results) {
      assert.ok(isTimeout(error, TIMEOUT_S * 1000), `got ${error?.code ?? "success"}`);
      assert.ok(ms <= TIMEOUT_S * 1000 + SLACK_MS, `settled after ${Math.round(ms)} ms`);
    }
    assert.equal((await since()).received, 1, "one refresh request for four callers");
    await sleep(1500);
    assert.equal((await since()).received, 1, "nothing is retried in the background");
    // The next call may try again (and times out again while the hole is there).
    const again = await timed(tab.auth.getAccessToken());
    assert.ok(isTimeout(again.error, TIMEOUT_S * 1000));
    assert.equal((await since()).received, 2);
    stack.proxy.clear(REFRESH);
    await assertSessionSurvived(tab, "after the black hole");
    assert.equal((await since()).received, 3, "one request per call that needed a refresh");
  });

  test("the cross-tab lock is free at once after the timeout", async () => {
    const locks = new InProcessLocks();
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S, locks });
    await untilRefreshDue(tab.auth);
    stack.proxy.fault(REFRESH, { kind: "blackhole" });
    try {
      const { error } = await timed(tab.auth.getAccessToken());
      assert.ok(isTimeout(error, TIMEOUT_S * 1000));
      const free = await locks.request(`authwasm:refresh:authwasm-demo`, { ifAvailable: true }, (lock) => lock !== null);
      assert.equal(free, true, "the refresh lock is released when the call rejects");
      assert.equal(locks.granted >= 1, true, "the refresh went through the lock");
    } finally {
      stack.proxy.clear(REFRESH);
    }
    await assertSessionSurvived(tab, "after the lock was released");
  });
});

describe("(b) an answer slower than the deadline", () => {
  test("headers 3.5 s late: timeout at 2 s; the late request rotates at the server; the old cookie gets the grace answer", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
    await untilRefreshDue(tab.auth);
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "slow", delayMs: 3500, lateDelivery: true, times: 1 });
    const { ms, error } = await timed(tab.auth.getAccessToken());
    assert.ok(isTimeout(error, TIMEOUT_S * 1000), `got ${error?.code}`);
    assert.ok(ms <= TIMEOUT_S * 1000 + SLACK_MS, `settled after ${Math.round(ms)} ms`);
    while ((await since()).refresh_rotated < 1) await sleep(50); // the slow server finishes its work
    await assertSessionSurvived(tab, "after a slow answer");
    const counts = await since();
    assert.equal(counts.received, 2);
    assert.equal(counts.refresh_grace, 1, "the old cookie was presented again and answered within grace");
    assert.equal(counts.refresh_reuse, 0);
  });

  test("headers on time, body never finishes: the deadline covers reading the body", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
    await untilRefreshDue(tab.auth);
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "stall", afterBytes: 20, times: 1 });
    const { ms, error } = await timed(tab.auth.getAccessToken());
    assert.ok(isTimeout(error, TIMEOUT_S * 1000), `got ${error?.code}: ${error?.message}`);
    assert.ok(ms <= TIMEOUT_S * 1000 + SLACK_MS, `settled after ${Math.round(ms)} ms`);
    stack.proxy.clear(REFRESH);
    await assertSessionSurvived(tab, "after a stalled body");
    const counts = await since();
    assert.equal(counts.received, 2);
    assert.equal(counts.refresh_reuse, 0);
  });
});

describe("(c) connection reset mid-response", () => {
  test("headers and 20 bytes of the body, then a reset: network error, session kept, works next call", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
    await untilRefreshDue(tab.auth);
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "reset", afterBytes: 20, times: 1 });
    const { ms, error } = await timed(tab.auth.fetch(api()));
    assert.ok(error instanceof AuthError && error.code === "network", `got ${error?.code}: ${error?.message}`);
    assert.ok(ms <= TIMEOUT_S * 1000 + SLACK_MS);
    await assertSessionSurvived(tab, "after a reset");
    const counts = await since();
    assert.equal(counts.received, 2);
    assert.equal(counts.refresh_reuse, 0);
    assert.equal(counts.refresh_rejected, 0);
  });
});

describe("(d) lost response: the server rotated, the client never saw the answer", () => {
  for (const deliver of ["reset", "hold"]) {
    test(`answer lost (${deliver}): the old cookie is presented again, grace keeps the user logged in, no reuse`, async () => {
      const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
      await untilRefreshDue(tab.auth);
      const since = await mark();
      stack.proxy.fault(REFRESH, { kind: "lost", deliver, times: 1 });
      const { ms, error } = await timed(tab.auth.getAccessToken());
      const expected = deliver === "reset" ? "network" : "timeout";
      assert.equal(error?.code, expected, `got ${error?.code}: ${error?.message}`);
      assert.ok(ms <= TIMEOUT_S * 1000 + SLACK_MS, `settled after ${Math.round(ms)} ms`);
      const lost = await since();
      assert.equal(lost.refresh_rotated, 1, "the server processed and rotated");
      assert.equal(lost.forwarded, 1);
      stack.proxy.clear(REFRESH);
      await assertSessionSurvived(tab, "after a lost response");
      const counts = await since();
      assert.equal(counts.received, 2, "one retry, by the next call");
      assert.equal(counts.refresh_grace, 1, "the next call presented the old cookie: the grace path");
      assert.equal(counts.refresh_reuse, 0);
      // And the session goes on rotating normally from the grace-issued cookie.
      await untilRefreshDue(tab.auth);
      assert.equal((await tab.auth.fetch(api())).status, 200);
      const later = await since();
      assert.equal(later.refresh_rotated, 2);
      assert.equal(later.refresh_reuse, 0);
    });
  }
});

describe("(e) 503 and 429 bursts", () => {
  test("503 for the next 3 refreshes: 3 calls get server_error (cause.status), 1 request each, the 4th works", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
    await untilRefreshDue(tab.auth);
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "status", status: 503, times: 3 });
    for (let i = 0; i < 3; i++) {
      const { error } = await timed(tab.auth.getAccessToken());
      assert.ok(error instanceof AuthError && error.code === "server_error", `call ${i}: ${error?.code}`);
      assert.equal(error.cause?.status, 503);
      assert.equal(error.cause?.retryAfter, undefined, "no Retry-After was sent");
    }
    assert.equal((await since()).received, 3);
    await assertSessionSurvived(tab, "after a 503 burst");
    assert.equal((await since()).received, 4);
  });

  test("429 with Retry-After: 7 for 2 refreshes: server_error with cause.retryAfter, session kept", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
    await untilRefreshDue(tab.auth);
    const since = await mark();
    stack.proxy.fault(REFRESH, { kind: "status", status: 429, retryAfter: 7, times: 2 });
    const calls = await Promise.all([timed(tab.auth.fetch(api())), timed(tab.auth.getAccessToken())]);
    for (const { error } of calls) {
      assert.equal(error?.code, "server_error");
      assert.equal(error.cause?.status, 429);
      assert.equal(String(error.cause?.retryAfter), "7");
    }
    assert.equal((await since()).received, 1, "two concurrent calls, one request");
    const second = await timed(tab.auth.getAccessToken());
    assert.equal(second.error?.cause?.status, 429);
    await assertSessionSurvived(tab, "after a 429 burst");
    assert.equal((await since()).received, 3);
  });
});

describe("(f) the server killed and restarted mid-session", () => {
  test("while it is down: network errors in time; after the restart (same data): no login needed, no reuse", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: TIMEOUT_S });
    await stack.crash();
    try {
      await untilRefreshDue(tab.auth);
      const start = performance.now();
      const results = await Promise.all([tab.auth.fetch(api()), tab.auth.getAccessToken()].map((c) => timed(c, start)));
      for (const { ms, error } of results) {
        assert.ok(error?.code === "network" || error?.code === "timeout", `got ${error?.code}`);
        assert.ok(ms <= TIMEOUT_S * 1000 + SLACK_MS, `settled after ${Math.round(ms)} ms`);
      }
      assert.deepEqual(tab.logouts(), []);
      assert.equal(tab.auth.isAuthenticated, true);
    } finally {
      await stack.start();
    }
    await assertSessionSurvived(tab, "after the restart");
    const stats = await stack.stats();
    assert.equal(stats.refresh_reuse, 0);
    assert.equal(stats.refresh_rejected, 0);
    assert.ok(stats.refresh_requests <= 1, `refreshes at the new server: ${stats.refresh_requests}`);
  });
});

describe("the caller aborts", () => {
  /** A tab whose refresh takes ~1 s (slow, within the default deadline), with the refresh due. */
  async function slowRefresh() {
    const tab = await loggedInTab(stack);
    await untilRefreshDue(tab.auth);
    stack.proxy.fault(REFRESH, { kind: "slow", delayMs: 1000, times: 1 });
    return tab;
  }

  test("a joined getAccessToken / fetch rejects with AbortError within 50 ms; the refresh goes on for the others", async () => {
    const tab = await slowRefresh();
    const since = await mark();
    const starter = tab.auth.getAccessToken();
    const controllers = [new AbortController(), new AbortController()];
    const joinedToken = timed(tab.auth.getAccessToken({ signal: controllers[0].signal }));
    const joinedFetch = timed(tab.auth.fetch(api(), { signal: controllers[1].signal }));
    const other = tab.auth.fetch(api());
    await sleep(300);
    const abortedAt = performance.now();
    for (const c of controllers) c.abort();
    const [token, fetched] = await Promise.all([joinedToken, joinedFetch]);
    for (const [i, r] of [token, fetched].entries()) {
      assert.ok(isAbort(r.error, controllers[i].signal), `caller ${i}: ${r.error?.name} ${r.error?.code ?? ""}`);
      // 50 ms is the contract; 200 ms leaves room for a loaded machine.
      assert.ok(r.at - abortedAt < 200, `caller ${i} rejected ${Math.round(r.at - abortedAt)} ms after the abort`);
    }
    assert.match(await starter, /^eyJ/);
    assert.equal((await other).status, 200);
    assert.equal((await since()).received, 1, "exactly one refresh");
    assert.deepEqual(tab.logouts(), []);
  });

  test("the caller that started the refresh aborts: it rejects, the refresh goes on for the one that joined", async () => {
    const tab = await slowRefresh();
    const since = await mark();
    const controller = new AbortController();
    const starter = timed(tab.auth.fetch(api(), { signal: controller.signal }));
    const joined = tab.auth.fetch(api());
    await sleep(300);
    controller.abort();
    const { error } = await starter;
    assert.ok(isAbort(error, controller.signal), `starter: ${error?.name} ${error?.code ?? ""}`);
    assert.equal((await joined).status, 200);
    const counts = await since();
    assert.equal(counts.received, 1, "exactly one refresh");
    assert.equal(counts.refresh_grace, 0, "the refresh was not abandoned and repeated");
  });

  test("an already-aborted signal rejects at once and sends nothing", async () => {
    const tab = await loggedInTab(stack);
    await untilRefreshDue(tab.auth);
    const since = await mark();
    const signal = AbortSignal.abort();
    const { ms, error } = await timed(tab.auth.getAccessToken({ signal }));
    assert.ok(isAbort(error, signal), `${error?.name} ${error?.code ?? ""}`);
    assert.ok(ms < 200);
    const fetched = await timed(tab.auth.fetch(api(), { signal }));
    assert.ok(isAbort(fetched.error, signal));
    assert.equal((await since()).received, 0);
    assert.equal(stack.proxy.received("/api/"), stack.proxy.forwarded("/api/"));
  });

  test("auth.fetch's own request is the caller's: a black-holed /api call ends with the caller's signal, not the client deadline", async () => {
    const tab = await loggedInTab(stack, { timeoutSeconds: 1 });
    stack.proxy.fault("/api/", { kind: "blackhole" });
    try {
      const signal = AbortSignal.timeout(2500);
      const { ms, error } = await timed(tab.auth.fetch(api(), { signal }));
      assert.equal(error?.name, "TimeoutError", `${error?.name} ${error?.code ?? ""}: ${error?.message}`);
      assert.equal(error, signal.reason);
      assert.ok(ms >= 2400 && ms <= 2500 + SLACK_MS, `settled after ${Math.round(ms)} ms`);
    } finally {
      stack.proxy.clear("/api/");
    }
    await assertSessionSurvived(tab, "after a black-holed API call");
  });
});
