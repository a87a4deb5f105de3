// Memory mode against a real OpenID Provider (oidc-provider, pinned devDependency), driven
// through authwasm's public API only: discovery, the redirect flow (the dev-interaction forms
// played with fetch and a path-aware cookie jar), refresh with rotation, reuse refused,
// single flight, UserInfo, revocation, RP-initiated logout and prompt=none afterwards, the
// opt-in signature verifier, restore({ silentRedirect }).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createAuthClient } from "../../js/index.js";
import { loadVerifier } from "../../js/verify.js";
import { CookieJar, authorize, browse, confirmLogout, startProvider } from "./provider.js";

const REDIRECT = "http://127.0.0.1/cb";

let op;
before(async () => {
  op = await startProvider();
});
after(() => op?.close());

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, String(v)),
           removeItem: (k) => void items.delete(k), items };
}

// A client in "a browser tab": its own transaction storage; navigate() records the URL.
async function tab(options = {}) {
  const nav = { urls: [] };
  const fetchLog = [];
  const auth = await createAuthClient({
    issuer: op.issuer, clientId: "spa", redirectUri: REDIRECT, refresh: "memory",
    storage: memoryStorage(), channel: null, locks: null,
    navigate: (url) => nav.urls.push(url),
    fetch: (input, init) => {
      fetchLog.push(typeof input === "string" ? input : input.url);
      return fetch(input, init);
    },
    ...options,
  });
  return { auth, nav, fetchLog, last: () => nav.urls.at(-1) };
}

async function loggedIn(options = {}, jar = new CookieJar()) {
  const t = await tab(options);
  await t.auth.login();
  const callback = await authorize(jar, t.last());
  const result = await t.auth.handleRedirectCallback(callback);
  return { ...t, jar, result };
}

describe("discovery", () => {
  test("the provider's metadata sets the endpoints and the RFC 9207 iss requirement", async () => {
    const t = await tab();
    await t.auth.login();
    const url = new URL(t.last());
    assert.equal(`${url.origin}${url.pathname}`, `${op.issuer}/auth`); // oidc-provider's path, not /authorize
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.equal(t.fetchLog[0], `${op.issuer}/.well-known/openid-configuration`);
    t.auth.close();
  });

  test("discovery: false keeps the configured endpoints and fetches nothing", async () => {
    const t = await tab({ discovery: false, endpoints: { authorization: "/auth", token: "/token" } });
    await t.auth.login();
    assert.equal(t.fetchLog.length, 0);
    assert.ok(t.last().startsWith(`${op.issuer}/auth?`));
    t.auth.close();
  });
});

describe("the redirect flow and refresh with rotation", () => {
  test("login → callback → user; the refresh token rotates on every use", async () => {
    const t = await loggedIn();
    assert.equal(t.result.user.sub, "alice");
    assert.equal(t.auth.user.sub, "alice");
    const before = op.count("POST /token");
    // Observe the refresh tokens on the wire (the test's fetch sees request bodies, as a
    // browser's network stack would): each refresh presents a new one.
    const presented = [];
    const auth = t.auth;
    const spied = await loggedIn({
      fetch: (input, init) => {
        const body = init?.body ? new URLSearchParams(init.body) : null;
        if (body?.get("grant_type") === "refresh_token") presented.push(body.get("refresh_token"));
        return fetch(input, init);
      },
    });
    const first = await spied.auth.restore();
    assert.equal(first.sub, "alice");
    await spied.auth.restore();
    await spied.auth.restore();
    assert.equal(presented.length, 3);
    assert.equal(new Set(presented).size, 3, "every refresh presents the token the previous one returned");
    assert.equal(spied.auth.session().refreshCount, 3);
    assert.ok(op.count("POST /token") >= before + 4);
    auth.close();
    spied.auth.close();
  });

  test("a rotated (old) refresh token is refused and the provider revokes the grant", async () => {
    const presented = [];
    const t = await loggedIn({
      fetch: (input, init) => {
        const body = init?.body ? new URLSearchParams(init.body) : null;
        if (body?.get("grant_type") === "refresh_token") presented.push(body.get("refresh_token"));
        return fetch(input, init);
      },
    });
    await t.auth.restore(); // rotates: presented[0] is now spent
    const reuse = await fetch(`${op.issuer}/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: presented[0], client_id: "spa" }),
    });
    assert.equal(reuse.status, 400);
    assert.equal((await reuse.json()).error, "invalid_grant");
    // The whole grant is gone: the client's current token is refused too, which ends its session.
    const events = [];
    t.auth.on("logout", (e) => events.push(e.reason));
    assert.equal(await t.auth.restore(), null);
    assert.deepEqual(events, ["session_expired"]);
    assert.equal(t.auth.isAuthenticated, false);
    await assert.rejects(t.auth.getAccessToken(), { code: "not_authenticated" });
  });

  test("two concurrent refreshes in one client send one request", async () => {
    const t = await loggedIn();
    const before = op.count("POST /token");
    const [a, b, c] = await Promise.all([t.auth.restore(), t.auth.restore(), t.auth.restore()]);
    assert.equal(op.count("POST /token"), before + 1);
    assert.deepEqual([a.sub, b.sub, c.sub], ["alice", "alice", "alice"]);
    assert.equal(t.auth.session().refreshCount, 1);
    // …and the session survives (no reuse was detected).
    assert.equal((await t.auth.restore()).sub, "alice");
    t.auth.close();
  });

  test("two tabs of one browser hold refresh tokens of their own and never present each other's", async () => {
    const jar = new CookieJar();
    const a = await loggedIn({}, jar);
    const b = await loggedIn({}, jar); // provider session reused (SSO): a second code, its own token
    for (let i = 0; i < 3; i++) {
      assert.equal((await a.auth.restore()).sub, "alice");
      assert.equal((await b.auth.restore()).sub, "alice");
    }
    a.auth.close();
    b.auth.close();
  });

  test("the access token works against UserInfo; userinfo() checks sub", async () => {
    const t = await loggedIn();
    const claims = await t.auth.userinfo();
    assert.equal(claims.sub, "alice");
    assert.equal(claims.name, "User alice");
    t.auth.close();
  });
});

describe("logout", () => {
  test("revocation (RFC 7009) kills the refresh token at the provider", async () => {
    const presented = [];
    const t = await loggedIn({
      fetch: (input, init) => {
        const body = init?.body ? new URLSearchParams(init.body) : null;
        if (body?.get("token_type_hint") === "refresh_token") presented.push(body.get("token"));
        return fetch(input, init);
      },
    });
    const before = op.count("POST /token/revocation");
    await t.auth.logout();
    assert.equal(op.count("POST /token/revocation"), before + 1);
    assert.equal(presented.length, 1);
    const refused = await fetch(`${op.issuer}/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: presented[0], client_id: "spa" }),
    });
    assert.equal(refused.status, 400);
    assert.equal(t.auth.isAuthenticated, false);
  });

  test("RP-initiated logout, then prompt=none answers login_required", async () => {
    const t = await loggedIn();
    await t.auth.logout({ redirect: true, postLogoutRedirectUri: "http://127.0.0.1/bye", state: "s-42" });
    const end = new URL(t.last());
    assert.equal(`${end.origin}${end.pathname}`, `${op.issuer}/session/end`);
    assert.ok(end.searchParams.get("id_token_hint"));
    assert.equal(end.searchParams.get("post_logout_redirect_uri"), "http://127.0.0.1/bye");
    assert.equal(end.searchParams.get("state"), "s-42");
    const back = new URL(await confirmLogout(t.jar, t.last()));
    assert.equal(`${back.origin}${back.pathname}`, "http://127.0.0.1/bye");
    assert.equal(back.searchParams.get("state"), "s-42");

    await t.auth.login({ prompt: "none" });
    const { location } = await browse(t.jar, t.last());
    assert.ok(location.startsWith(REDIRECT), location);
    await assert.rejects(t.auth.handleRedirectCallback(location), { code: "login_required" });
    t.auth.close();
  });

  test("before logout, prompt=none logs in silently with the provider's session", async () => {
    const t = await loggedIn();
    const reloaded = await tab(); // a reload: no refresh token in memory
    assert.equal(await reloaded.auth.restore(), null); // not opted in: null, no navigation
    assert.equal(reloaded.nav.urls.length, 0);
    assert.equal(await reloaded.auth.restore({ silentRedirect: true }), null);
    assert.equal(reloaded.nav.urls.length, 1);
    assert.equal(new URL(reloaded.last()).searchParams.get("prompt"), "none");
    const { location } = await browse(t.jar, reloaded.last());
    const { user } = await reloaded.auth.handleRedirectCallback(location);
    assert.equal(user.sub, "alice");
    t.auth.close();
    reloaded.auth.close();
  });

  test("restore({ silentRedirect }) redirects at most once per tab while it keeps failing", async () => {
    const t = await tab();
    await t.auth.restore({ silentRedirect: true });
    const { location } = await browse(new CookieJar(), t.last()); // no provider session
    await assert.rejects(t.auth.handleRedirectCallback(location), { code: "login_required" });
    assert.equal(await t.auth.restore({ silentRedirect: true }), null);
    assert.equal(t.nav.urls.length, 1, "no redirect loop");
    t.auth.close();
  });
});

describe("ID token signatures (authwasm/verify) against the provider's JWKS", () => {
  for (const [clientId, alg] of [["spa", "ES256"], ["spa-rs", "RS256"]]) {
    test(`${alg}: login and refresh verify; the JWKS is fetched once`, async () => {
      const verifier = await loadVerifier();
      const t = await loggedIn({ clientId, verifier });
      assert.equal(t.result.user.sub, "alice");
      await t.auth.restore();
      await t.auth.restore();
      assert.equal(t.fetchLog.filter((u) => u === `${op.issuer}/jwks`).length, 1);
      const { header } = await import("../../js/index.js").then((m) => m.decodeJwt(
        new URL(t.last()).searchParams.get("id_token_hint") ?? "x.y.z").catch(() => ({ header: null })));
      assert.equal(header, null); // no end-session URL yet: nothing leaked into navigation
      t.auth.close();
    });
  }
});

describe("tabs in memory mode", () => {
  test("tabs on one BroadcastChannel refresh concurrently without ever presenting the same refresh token", async () => {
    const presented = new Map(); // refresh token → tab
    const reused = [];
    const spy = (name) => (input, init) => {
      const body = init?.body ? new URLSearchParams(init.body) : null;
      if (body?.get("grant_type") === "refresh_token") {
        const token = body.get("refresh_token");
        if (presented.has(token)) reused.push([name, presented.get(token)]);
        presented.set(token, name);
      }
      return fetch(input, init);
    };
    const jar = new CookieJar();
    const channels = [];
    const open = (name) => {
      const channel = new BroadcastChannel(`authwasm-oidc-test:${op.issuer}`);
      channels.push(channel);
      return loggedIn({ fetch: spy(name), channel, locks: null }, jar);
    };
    const a = await open("a");
    const b = await open("b");
    const c = await open("c");
    for (let round = 0; round < 3; round++) {
      const users = await Promise.all([a.auth.restore(), b.auth.restore(), c.auth.restore()]);
      for (const user of users) assert.equal(user?.sub, "alice");
    }
    assert.deepEqual(reused, [], "a refresh token was presented twice");
    assert.ok(presented.size >= 3);
    assert.equal((await a.auth.userinfo()).sub, "alice"); // the grant is alive
    for (const t of [a, b, c]) t.auth.close();
    for (const channel of channels) channel.close();
  });
});
