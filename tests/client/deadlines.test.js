// Issue 10: no call waits forever, an abort is honoured at once, short-lived tokens work with
// DEFAULT options, and a refused password is not an outage. A scripted HTTP server of the
// test's own (the reference server cannot be told to stay silent); tests/faults/ does the same
// against the real server through a fault-injecting proxy.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { createAuthClient } from "authwasm";
import { startServer } from "../server/server-process.js";
import { browserFetch } from "../support/browser-fetch.js";

// A cookie-mode auth server whose answers each test scripts: `routes[path](req, res)`;
// a route that never calls res.end() is a black hole.
let scripted;
const routes = {};
const hits = {};
const held = new Set(); // black-holed responses, ended in after()
before(async () => {
  scripted = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    const route = routes[path];
    if (route) return route(req, res);
    res.writeHead(404).end();
  });
  await new Promise((resolve) => scripted.listen(0, "127.0.0.1", resolve));
});
after(() => {
  for (const res of held) res.destroy();
  scripted.closeAllConnections();
  scripted.close();
});
const origin = () => `http://127.0.0.1:${scripted.address().port}`;

const tokens = (expiresIn, n = 1) => ({ access_token: `at-${n}`, token_type: "Bearer", expires_in: expiresIn });
const answer = (status, body, headers = {}) => (req, res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};
const blackHole = (req, res) => held.add(res);
let issued = 0;
const fresh = (expiresIn) => (req, res) => answer(200, tokens(expiresIn, ++issued))(req, res);

function reset() {
  for (const key of Object.keys(routes)) delete routes[key];
  for (const key of Object.keys(hits)) delete hits[key];
  routes["/api/data"] = (req, res) => {
    const ok = /^Bearer at-\d+$/.test(req.headers.authorization ?? "");
    answer(ok ? 200 : 401, ok ? { ok: true } : { error: "invalid_token" },
      ok ? {} : { "www-authenticate": 'Bearer error="invalid_token"' })(req, res);
  };
}

// `clock.mono` moves the monotonic time: a token expires without waiting for it.
async function client(extra = {}) {
  const clock = { mono: 1_000_000 };
  const events = [];
  const auth = await createAuthClient({
    issuer: origin(), clientId: "spa", redirectUri: `${origin()}/callback`,
    monotonicNow: () => clock.mono, channel: null, locks: null, ...extra,
  });
  for (const name of ["login", "logout", "refresh", "error"]) auth.on(name, (d) => events.push(name));
  return { auth, clock, events };
}

async function loggedIn(extra) {
  reset();
  routes["/auth/login"] = fresh(300);
  const c = await client(extra);
  await c.auth.loginWithPassword("alice", "password");
  c.clock.mono += 300_000; // expired: the next call refreshes
  return c;
}

// How long `promise` took to settle, and how.
async function timed(promise) {
  const start = performance.now();
  try {
    return { value: await promise, ms: performance.now() - start };
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
}

describe("deadlines (timeoutSeconds)", () => {
  test("a black-holed refresh fails every waiter with `timeout`, keeps the session, and the next call may try again", async () => {
    const { auth, events } = await loggedIn({ timeoutSeconds: 0.5 });
    routes["/auth/refresh"] = blackHole;
    const calls = await Promise.all([1, 2, 3].map(() => timed(auth.fetch(`${origin()}/api/data`))));
    for (const { error, ms } of calls) {
      assert.equal(error?.code, "timeout", error?.message);
      assert.equal(error.cause.timeoutMs, 500);
      assert.match(error.cause.url, /\/auth\/refresh$/);
      assert.ok(ms >= 450 && ms < 3000, `settled after ${ms} ms`);
    }
    assert.equal(hits["/auth/refresh"], 1, "one refresh for three callers, no retry");
    assert.equal(auth.isAuthenticated, true, "the session is kept");
    assert.deepEqual(events, ["login"], "no logout");

    routes["/auth/refresh"] = fresh(300);
    assert.equal((await auth.fetch(`${origin()}/api/data`)).status, 200);
    assert.equal(hits["/auth/refresh"], 2);
    assert.deepEqual(events, ["login", "refresh"]);
  });

  test("the DEFAULT deadline is 10 s", async () => {
    const { auth } = await loggedIn();
    routes["/auth/refresh"] = blackHole;
    const { error, ms } = await timed(auth.getAccessToken());
    assert.equal(error?.code, "timeout");
    assert.equal(error.cause.timeoutMs, 10_000);
    assert.ok(ms >= 9_900 && ms < 13_000, `settled after ${ms} ms`);
  });

  test("login, discovery and logout have the deadline too", async () => {
    reset();
    routes["/auth/login"] = blackHole;
    const { auth } = await client({ timeoutSeconds: 0.3 });
    assert.equal((await timed(auth.loginWithPassword("alice", "password"))).error?.code, "timeout");
    routes["/.well-known/openid-configuration"] = blackHole;
    const discovery = await timed(client({ timeoutSeconds: 0.3, refresh: "memory" }));
    assert.equal(discovery.error?.code, "timeout");
    routes["/auth/login"] = fresh(300);
    await auth.loginWithPassword("alice", "password");
    routes["/auth/logout"] = blackHole;
    const errors = [];
    auth.on("error", ({ error }) => errors.push(error.code));
    const logout = await timed(auth.logout());
    assert.equal(logout.error, undefined, "logout resolves: memory is wiped whatever the server did");
    assert.ok(logout.ms < 3000);
    assert.deepEqual(errors, ["timeout"]);
    assert.equal(auth.isAuthenticated, false);
  });

  test("a timeout that the injected fetch ignores still fires", async () => {
    reset();
    const { auth } = await client({ timeoutSeconds: 0.3, fetch: () => new Promise(() => {}) });
    assert.equal((await timed(auth.loginWithPassword("alice", "password"))).error?.code, "timeout");
  });

  test("timeoutSeconds is validated", async () => {
    reset();
    for (const bad of [0, -1, 301, "10", null]) {
      await assert.rejects(client({ timeoutSeconds: bad }), (e) => e.code === "configuration", String(bad));
    }
  });
});

describe("abort (AbortSignal)", () => {
  test("a caller that aborts while it waits for a refresh rejects at once with AbortError; the refresh goes on for the others", async () => {
    const { auth } = await loggedIn();
    let release;
    routes["/auth/refresh"] = (req, res) => { release = () => fresh(300)(req, res); };
    const controller = new AbortController();
    const first = auth.fetch(`${origin()}/api/data`);           // starts the refresh
    const joined = timed(auth.fetch(`${origin()}/api/data`, { signal: controller.signal }));
    const token = timed(auth.getAccessToken({ signal: controller.signal }));
    await new Promise((r) => setTimeout(r, 100));
    const abortedAt = performance.now();
    controller.abort();
    for (const result of [await joined, await token]) {
      assert.equal(result.error?.name, "AbortError");
      assert.ok(performance.now() - abortedAt < 1000);
    }
    release();
    assert.equal((await first).status, 200);
    assert.equal(hits["/auth/refresh"], 1);
  });

  test("an already aborted signal rejects with its own reason, before any request", async () => {
    const { auth } = await loggedIn();
    routes["/auth/refresh"] = fresh(300);
    const reason = new Error("the view went away");
    await assert.rejects(auth.fetch(`${origin()}/api/data`, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    await assert.rejects(auth.getAccessToken({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal(hits["/auth/refresh"], undefined);
    await assert.rejects(auth.getAccessToken({ signal: "soon" }), (e) => e.code === "invalid_argument");
    await assert.rejects(auth.fetch(`${origin()}/api/data`, { signal: "soon" }), (e) => e.code === "invalid_argument");
  });

  test("the caller that started a refresh may abort: the refresh's later failure is nobody's unhandled rejection", async () => {
    const { auth } = await loggedIn({ timeoutSeconds: 0.3 });
    routes["/auth/refresh"] = blackHole;
    const result = await timed(auth.getAccessToken({ signal: AbortSignal.timeout(50) }));
    assert.equal(result.error?.name, "TimeoutError"); // AbortSignal.timeout's reason
    await new Promise((r) => setTimeout(r, 500));     // the refresh times out meanwhile
    routes["/auth/refresh"] = fresh(300);
    assert.equal((await auth.fetch(`${origin()}/api/data`)).status, 200);
  });

  test("the resource request itself is aborted with the caller's signal", async () => {
    const { auth } = await loggedIn();
    routes["/auth/refresh"] = fresh(300);
    await auth.getAccessToken();
    routes["/api/data"] = blackHole;
    const { error, ms } = await timed(auth.fetch(`${origin()}/api/data`, { signal: AbortSignal.timeout(200) }));
    assert.equal(error?.name, "TimeoutError");
    assert.ok(ms < 2000);
  });
});

describe("error mapping at the login and token endpoints", () => {
  test("a refused password is invalid_grant whatever the server calls it", async () => {
    reset();
    const { auth } = await client();
    for (const body of [{ error: "invalid_credentials" }, { error: "access_denied" }, {}]) {
      routes["/auth/login"] = answer(401, body);
      await assert.rejects(auth.loginWithPassword("alice", "nope"), (e) => e.code === "invalid_grant", JSON.stringify(body));
    }
    assert.equal(auth.isAuthenticated, false);
  });

  test("429 and 503 are server_error with status and Retry-After in the cause; the session is kept", async () => {
    reset();
    const { auth } = await client();
    routes["/auth/login"] = answer(429, { error: "too_many_requests" }, { "retry-after": "7" });
    await assert.rejects(auth.loginWithPassword("alice", "pw"),
      (e) => e.code === "server_error" && e.cause.status === 429 && e.cause.retryAfter === 7);
    const later = await loggedIn();
    routes["/auth/refresh"] = answer(503, { error: "unavailable" }, { "retry-after": "120" });
    await assert.rejects(later.auth.getAccessToken(),
      (e) => e.code === "server_error" && e.cause.status === 503 && e.cause.retryAfter === 120);
    assert.equal(later.auth.isAuthenticated, true);
    assert.deepEqual(later.events, ["login"]);
  });
});

// Against the real reference server with access tokens of 1 and 2 s and DEFAULT options
// (leeway 30 s): every call succeeds, and refreshes happen only when needed.
describe("short-lived tokens with default options (real reference server)", () => {
  for (const ttl of [1, 2]) {
    test(`--access-ttl ${ttl}: every call over ${4 * ttl} s succeeds, refreshing about every ${ttl / 2} s`, async () => {
      const server = await startServer({ args: ["--demo", "--access-ttl", String(ttl), "--debug-stats"] });
      try {
        const browser = browserFetch({ origin: server.origin });
        const auth = await createAuthClient({ issuer: server.url, clientId: "authwasm-demo", fetch: browser.fetch,
                                              channel: null, locks: null });
        await auth.loginWithPassword("demo", "demo-password");
        const statuses = [];
        const until = performance.now() + 4000 * ttl;
        while (performance.now() < until) {
          statuses.push((await auth.fetch(`${server.url}/auth/me`)).status);
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual([...new Set(statuses)], [200], `every call succeeded (${statuses.length} calls)`);
        const { refresh_rotated: refreshes } = await (await fetch(`${server.url}/debug/stats`)).json();
        // Half the lifetime each: about 8 refreshes over 4 lifetimes; never one per call.
        assert.ok(refreshes >= 4 && refreshes <= 12, `${refreshes} refreshes for ${statuses.length} calls`);
        assert.equal(auth.session().refreshCount, refreshes);
      } finally {
        await server.stop();
      }
    });
  }
});

// auth.fetch's refresh retry replays the body (js/api-call.js): every replayable type arrives
// twice, byte for byte; a ReadableStream is sent once and its 401 is the caller's answer.
describe("the refresh retry replays the request body", () => {
  const bodies = {
    string: () => "hello",
    Blob: () => new Blob(["hello"]),
    ArrayBuffer: () => new TextEncoder().encode("hello").buffer,
    URLSearchParams: () => new URLSearchParams({ a: "hello" }),
    FormData: () => { const f = new FormData(); f.set("a", "hello"); return f; },
  };
  for (const [type, make] of Object.entries(bodies)) {
    test(`${type}: sent again after the refresh`, async () => {
      const { auth } = await loggedIn();
      routes["/auth/refresh"] = fresh(300);
      await auth.getAccessToken(); // a fresh token that the server will refuse once
      const seen = [];
      let refused = false;
      routes["/api/echo"] = (req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
          seen.push(Buffer.concat(chunks).toString());
          if (!refused) {
            refused = true;
            return answer(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' })(req, res);
          }
          answer(200, { ok: true })(req, res);
        });
      };
      const response = await auth.fetch(`${origin()}/api/echo`, { method: "POST", body: make() });
      assert.equal(response.status, 200);
      assert.equal(seen.length, 2);
      // multipart bodies get a fresh boundary per send; the rest must match byte for byte
      const unbound = (text) => text.replace(/-+[\w-]*\d+[\w-]*/g, "--boundary");
      assert.equal(unbound(seen[0]), unbound(seen[1]), "the same body both times");
      assert.match(seen[1], /hello/);
    });
  }

  test("ReadableStream: sent once, without the refresh retry; the 401 is the caller's", async () => {
    const { auth } = await loggedIn();
    routes["/auth/refresh"] = fresh(300);
    await auth.getAccessToken();
    const refreshes = hits["/auth/refresh"];
    let sent = 0;
    routes["/api/echo"] = (req, res) => {
      req.resume();
      req.on("end", () => {
        sent++;
        answer(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' })(req, res);
      });
    };
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("hello")); c.close(); } });
    const response = await auth.fetch(`${origin()}/api/echo`, { method: "POST", body, duplex: "half" });
    assert.equal(response.status, 401);
    assert.equal(sent, 1);
    assert.equal(hits["/auth/refresh"], refreshes, "no refresh for a call that cannot be retried");
  });
});
