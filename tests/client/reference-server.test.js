// The client against the real reference server (cookie mode), through the public API only.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAuthClient, AuthError } from "authwasm";
import { browserFetch } from "../support/browser-fetch.js";
import { PASSWORD, register, startServer } from "../server/server-process.js";

let server;
const stats = async () => (await fetch(`${server.url}/debug/stats`)).json();

before(async () => {
  server = await startServer({ args: ["--debug-stats", "--demo", "--access-ttl", "60", "--grace", "0"] });
});
after(() => server?.stop());

// A client as one browser tab sees it; `clock` moves the monotonic time to expire tokens.
async function tab(browser = browserFetch({ origin: server.origin })) {
  const clock = { mono: 1_000_000 };
  const navigations = [];
  const events = [];
  const auth = await createAuthClient({
    issuer: server.url,
    clientId: "authwasm-demo",
    redirectUri: `${server.url}/callback`,
    fetch: browser.fetch,
    monotonicNow: () => clock.mono,
    navigate: (url) => navigations.push(url),
    channel: null,
    locks: null,
  });
  for (const name of ["login", "logout", "refresh", "error"]) auth.on(name, (detail) => events.push([name, detail]));
  return { auth, browser, clock, navigations, events };
}

async function loggedInTab(user) {
  user ??= await register(server);
  const t = await tab();
  await t.auth.loginWithPassword(user.username, user.password);
  return { ...t, user };
}

describe("password login and the session", () => {
  test("loginWithPassword gives the user, a fresh token and the HttpOnly cookie", async () => {
    const { auth, browser, user, events } = await loggedInTab();
    assert.equal(auth.user.sub, user.sub);
    assert.equal(auth.isAuthenticated, true);
    assert.ok(browser.hasCookie("authwasm_rt"));
    assert.deepEqual(events.map(([e, d]) => [e, d.source]), [["login", "password"]]);
    const info = auth.session();
    assert.equal(info.user.sub, user.sub);
    assert.ok(info.expiresIn > 50 && info.expiresIn <= 60);
    assert.equal(info.accessTokenClaims.sub, user.sub);
    assert.equal(info.accessTokenClaims.aud, "authwasm-demo");
    assert.equal(info.refreshCount, 0);
    assert.equal(JSON.stringify(info).includes("eyJ"), false, "session() never shows a raw token");
  });

  test("auth.fetch sends the bearer token", async () => {
    const { auth, user } = await loggedInTab();
    const me = await auth.fetch(`${server.url}/auth/me`);
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { sub: user.sub, username: user.username });
  });

  test("a wrong password is invalid_grant, with the server's description, and no session", async () => {
    const user = await register(server);
    const { auth, events } = await tab();
    await assert.rejects(auth.loginWithPassword(user.username, "wrong password"),
                         (e) => e instanceof AuthError && e.code === "invalid_grant" && /401/.test(e.message));
    assert.equal(auth.isAuthenticated, false);
    assert.deepEqual(events, []);
  });
});

describe("restore()", () => {
  test("with the cookie: one silent refresh brings the user back (a reload)", async () => {
    const first = await loggedInTab();
    const reloaded = await tab(first.browser); // same cookie jar, fresh memory
    assert.equal(reloaded.auth.isAuthenticated, false);
    const before = first.browser.count("/auth/refresh");
    const user = await reloaded.auth.restore();
    assert.equal(user.sub, first.user.sub);
    assert.equal(first.browser.count("/auth/refresh"), before + 1);
    assert.equal((await reloaded.auth.fetch(`${server.url}/api/posts`)).status, 200);
    assert.deepEqual(reloaded.events.map(([e, d]) => [e, d.source]), [["refresh", "network"], ["login", "restore"]]);
  });

  test("without a session: null, no error, no logout event", async () => {
    const { auth, events } = await tab();
    assert.equal(await auth.restore(), null);
    assert.deepEqual(events, []);
    await assert.rejects(auth.getAccessToken(), (e) => e.code === "not_authenticated");
  });
});

describe("silent refresh", () => {
  test("50 concurrent calls with an expired token: exactly 1 refresh, all 50 succeed", async () => {
    const { auth, clock } = await loggedInTab();
    clock.mono += 61_000; // the token is past its lifetime by the monotonic clock
    const before = (await stats()).refresh_requests;
    const responses = await Promise.all(Array.from({ length: 50 }, () => auth.fetch(`${server.url}/api/posts`)));
    assert.deepEqual(responses.map((r) => r.status), Array(50).fill(200));
    assert.equal((await stats()).refresh_requests - before, 1);
    assert.equal(auth.session().refreshCount, 1);
  });

  test("50 concurrent calls answered 401 invalid_token by the server: 1 refresh, 50 retries succeed", async () => {
    const { auth } = await loggedInTab();
    const token = await auth.getAccessToken();
    const expire = await fetch(`${server.url}/demo/expire-token`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    assert.equal(expire.status, 204);
    const before = await stats();
    const responses = await Promise.all(Array.from({ length: 50 }, () => auth.fetch(`${server.url}/api/posts`)));
    assert.deepEqual(responses.map((r) => r.status), Array(50).fill(200));
    const after = await stats();
    assert.equal(after.refresh_requests - before.refresh_requests, 1);
    assert.equal(after.api_requests - before.api_requests, 100, "each call: one refused attempt, one retry");
  });

  test("a retry repeats the method and body", async () => {
    const { auth } = await loggedInTab();
    const token = await auth.getAccessToken();
    await fetch(`${server.url}/demo/expire-token`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    // /auth/logout-all is a bearer POST: the retried request must still be a POST with the token.
    const res = await auth.fetch(`${server.url}/auth/logout-all`, { method: "POST" });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).revoked_sessions, 1);
  });

  test("a 401 without invalid_token, a 403 and a second 401 go back to the caller", async () => {
    const { auth, browser } = await loggedInTab();
    const before = browser.count("/auth/refresh");
    const missing = await auth.fetch(`${server.url}/api/nope`);
    assert.notEqual(missing.status, 401);
    assert.equal(browser.count("/auth/refresh"), before);
  });
});

describe("the end of a session", () => {
  test("refresh refused (invalid_grant) ends the session: logout event, reason session_expired", async () => {
    const a = await loggedInTab();
    const b = await loggedInTab(a.user);
    // Another device logs out everywhere: a's refresh family is revoked.
    assert.equal((await b.auth.fetch(`${server.url}/auth/logout-all`, { method: "POST" })).status, 200);
    a.clock.mono += 61_000;
    await assert.rejects(a.auth.getAccessToken(), (e) => e.code === "invalid_grant");
    assert.equal(a.auth.isAuthenticated, false);
    assert.equal(a.auth.user, null);
    assert.deepEqual(a.events.at(-1), ["logout", { reason: "session_expired" }]);
  });

  test("a network failure during refresh is a typed error and keeps the session", async () => {
    const browser = browserFetch({ origin: server.origin });
    const network = { up: true };
    const flaky = { ...browser, fetch: (input, init) => (network.up ? browser.fetch(input, init) : Promise.reject(new TypeError("fetch failed"))) };
    const user = await register(server);
    const { auth, clock, events } = await tab(flaky);
    await auth.loginWithPassword(user.username, user.password);
    clock.mono += 61_000;
    network.up = false;
    await assert.rejects(auth.getAccessToken(), (e) => e instanceof AuthError && e.code === "network" && e.cause instanceof TypeError);
    assert.equal(auth.user.sub, user.sub, "the session is kept");
    assert.equal(events.some(([e]) => e === "logout"), false);
    network.up = true; // back online: the next call refreshes and succeeds
    assert.equal((await auth.fetch(`${server.url}/api/posts`)).status, 200);
  });

  test("a 5xx from the refresh endpoint is server_error and keeps the session", async () => {
    const browser = browserFetch({ origin: server.origin });
    const broken = { on: false };
    const fetch503 = (input, init) => broken.on && new Request(input, init).url.endsWith("/auth/refresh")
      ? Promise.resolve(new Response('{"error":"temporarily_unavailable"}', { status: 503, headers: { "content-type": "application/json" } }))
      : browser.fetch(input, init);
    const user = await register(server);
    const { auth, clock, events } = await tab({ ...browser, fetch: fetch503 });
    await auth.loginWithPassword(user.username, user.password);
    clock.mono += 61_000;
    broken.on = true;
    await assert.rejects(auth.getAccessToken(), (e) => e.code === "server_error" && /503/.test(e.message));
    assert.equal(auth.user.sub, user.sub);
    assert.equal(events.some(([e]) => e === "logout"), false);
    broken.on = false;
    assert.equal((await auth.fetch(`${server.url}/api/posts`)).status, 200);
  });

  test("logout: server session ended, cookie cleared, memory wiped, event fired", async () => {
    const { auth, browser, events } = await loggedInTab();
    await auth.logout();
    assert.equal(auth.isAuthenticated, false);
    assert.equal(browser.hasCookie("authwasm_rt"), false);
    assert.deepEqual(events.at(-1), ["logout", { reason: "user" }]);
    const reloaded = await tab(browser);
    assert.equal(await reloaded.auth.restore(), null);
  });
});

describe("the PKCE redirect", () => {
  test("login → the server's login form → callback → tokens, with code and state removed", async () => {
    const user = await register(server);
    const { auth, browser, navigations } = await tab();
    await auth.login({ returnTo: "/posts" });
    assert.equal(navigations.length, 1);
    const authorize = new URL(navigations[0]);
    assert.equal(authorize.origin + authorize.pathname, `${server.url}/authorize`);
    const q = authorize.searchParams;
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.match(q.get("code_challenge"), /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get("state"), /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get("nonce"), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get("redirect_uri"), `${server.url}/callback`);

    // The user signs in on the server's page (a form POST, as the browser would send it).
    const form = new URLSearchParams(q);
    form.set("username", user.username);
    form.set("password", PASSWORD);
    const posted = await browser.fetch(`${server.url}/authorize`, {
      method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(posted.status, 302);
    const callback = posted.headers.get("location");
    assert.equal(new URL(callback).searchParams.get("iss"), server.url);

    const result = await auth.handleRedirectCallback(callback);
    assert.equal(result.user.sub, user.sub);
    assert.equal(result.returnTo, "/posts");
    assert.equal(auth.user.nonce, q.get("nonce"));
    assert.equal((await auth.fetch(`${server.url}/api/posts`)).status, 200);

    // The same callback again: the transaction is gone (one round trip only).
    await assert.rejects(auth.handleRedirectCallback(callback), (e) => e.code === "state_mismatch");
  });
});
