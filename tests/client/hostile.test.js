// DESIGN.md §5: every bad input gets a typed error and changes nothing. The server here is a
// scripted fake (one piece under test: the client's validation), reached through the
// injected fetch.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAuthClient } from "authwasm";

const ISSUER = "https://idp.example";
const CLIENT = "spa";
const REDIRECT = "https://app.example/callback";
const NOW = 1_800_000_000_000;
const b64 = (o) => Buffer.from(typeof o === "string" ? o : JSON.stringify(o)).toString("base64url");
const jwt = (claims, header = { alg: "ES256", kid: "k" }) => `${b64(header)}.${b64(claims)}.c2ln`;
const json = (status, body, headers = {}) => new Response(typeof body === "string" ? body : JSON.stringify(body),
  { status, headers: { "content-type": "application/json", ...headers } });

// A fake provider: `answer(path, request)` decides each response.
async function client(answer, extra = {}) {
  const navigations = [];
  const auth = await createAuthClient({
    issuer: ISSUER, clientId: CLIENT, redirectUri: REDIRECT, refresh: "cookie",
    fetch: async (input, init) => {
      const request = new Request(input, init);
      return answer(new URL(request.url).pathname, request);
    },
    now: () => NOW, monotonicNow: () => 5_000, navigate: (u) => navigations.push(u),
    channel: null, locks: null, ...extra,
  });
  return { auth, navigations };
}

function idClaims(nonce, overrides = {}) {
  const now = Math.floor(NOW / 1000);
  return { iss: ISSUER, sub: "alice", aud: CLIENT, exp: now + 300, iat: now, nonce, ...overrides };
}

function goodTokens(nonce, idOverrides = {}, idHeader) {
  return { access_token: "opaque-access-token", token_type: "Bearer", expires_in: 300,
           id_token: jwt(idClaims(nonce, idOverrides), idHeader) };
}

// Starts a login and returns what the provider would redirect back with.
async function pendingLogin(tokenAnswer) {
  let nonce;
  const c = await client((path) => (path === "/token" ? tokenAnswer(nonce) : json(404, {})));
  await c.auth.login();
  const q = new URL(c.navigations[0]).searchParams;
  nonce = q.get("nonce");
  return { ...c, state: q.get("state"), nonce };
}

async function expectRefused(promise, code, auth) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, "AuthError");
    assert.equal(e.code, code, e.message);
    return true;
  });
  if (auth) {
    assert.equal(auth.isAuthenticated, false, "nothing was stored");
    assert.equal(auth.user, null);
  }
}

describe("configuration", () => {
  const bad = {
    "plain http issuer": { issuer: "http://idp.example", clientId: CLIENT },
    "issuer with a query": { issuer: "https://idp.example/?x=1", clientId: CLIENT },
    "missing clientId": { issuer: ISSUER },
    "unknown refresh mode": { issuer: ISSUER, clientId: CLIENT, refresh: "localStorage" },
    "redirectUri with a fragment": { issuer: ISSUER, clientId: CLIENT, redirectUri: "https://a.example/cb#x" },
    "negative leeway": { issuer: ISSUER, clientId: CLIENT, leewaySeconds: -1 },
    "tiny body cap": { issuer: ISSUER, clientId: CLIENT, maxResponseBytes: 10 },
    "http endpoint off loopback": { issuer: ISSUER, clientId: CLIENT, endpoints: { token: "http://idp.example/token" } },
    "fetch not a function": { issuer: ISSUER, clientId: CLIENT, fetch: "nope" },
    // Each of these aborted the wasm module (nlohmann's value() on a mistyped flag) before.
    "skipIssuerCheck not a boolean": { issuer: ISSUER, clientId: CLIENT, skipIssuerCheck: "yes" },
    "requireIssInCallback not a boolean": { issuer: ISSUER, clientId: CLIENT, requireIssInCallback: 1 },
    "dpop a string": { issuer: ISSUER, clientId: CLIENT, dpop: "true" },
    // DPoP is opt-in by import (authwasm/dpop): a flag, or an object of another shape, is refused.
    "dpop: true instead of authwasm/dpop's object": { issuer: ISSUER, clientId: CLIENT, dpop: true },
    "dpop an object of another shape": { issuer: ISSUER, clientId: CLIENT, dpop: { init: () => {} } },
    "refresh not a string": { issuer: ISSUER, clientId: CLIENT, refresh: 5 },
    "scope not a string": { issuer: ISSUER, clientId: CLIENT, scope: ["openid"] },
  };
  for (const [name, options] of Object.entries(bad)) {
    test(`refused: ${name}`, () => expectRefused(createAuthClient({ channel: null, locks: null, ...options }), "configuration"));
  }
  test("the module survives every refusal above: a good client is created after them", async () => {
    const auth = await createAuthClient({ issuer: ISSUER, clientId: CLIENT, channel: null, locks: null, skipIssuerCheck: false });
    assert.equal(auth.isAuthenticated, false);
  });
  test("loopback http is accepted for development", async () => {
    await createAuthClient({ issuer: "http://127.0.0.1:9", clientId: CLIENT, channel: null, locks: null });
  });
});

describe("the callback", () => {
  const url = (params) => `${REDIRECT}?${new URLSearchParams(params)}`;

  test("wrong state", async () => {
    const { auth } = await pendingLogin((n) => json(200, goodTokens(n)));
    await expectRefused(auth.handleRedirectCallback(url({ code: "c", state: "forged", iss: ISSUER })), "state_mismatch", auth);
  });
  test("missing state", async () => {
    const { auth } = await pendingLogin((n) => json(200, goodTokens(n)));
    await expectRefused(auth.handleRedirectCallback(url({ code: "c", iss: ISSUER })), "state_mismatch", auth);
  });
  test("no pending login (replayed or foreign callback)", async () => {
    const { auth } = await client(() => json(404, {}));
    await expectRefused(auth.handleRedirectCallback(url({ code: "c", state: "s" })), "state_mismatch", auth);
  });
  test("replayed callback after a failure: the transaction was single-use", async () => {
    const { auth, state } = await pendingLogin((n) => json(200, goodTokens(n)));
    await expectRefused(auth.handleRedirectCallback(url({ code: "c", state, iss: "https://evil.example" })), "iss_mismatch", auth);
    await expectRefused(auth.handleRedirectCallback(url({ code: "c", state, iss: ISSUER })), "state_mismatch", auth);
  });
  test("duplicated parameters", async () => {
    const { auth, state } = await pendingLogin((n) => json(200, goodTokens(n)));
    await expectRefused(auth.handleRedirectCallback(`${REDIRECT}?code=a&code=b&state=${state}&iss=${encodeURIComponent(ISSUER)}`),
                        "invalid_callback", auth);
  });
  test("iss of another issuer (mix-up, RFC 9207)", async () => {
    const { auth, state } = await pendingLogin((n) => json(200, goodTokens(n)));
    await expectRefused(auth.handleRedirectCallback(url({ code: "c", state, iss: "https://evil.example" })), "iss_mismatch", auth);
  });
  test("a callback on another path than the registered redirect URI", async () => {
    const { auth, state } = await pendingLogin((n) => json(200, goodTokens(n)));
    await expectRefused(auth.handleRedirectCallback(`https://app.example/elsewhere?code=c&state=${state}`), "state_mismatch", auth);
  });
  for (const [error, code] of [["login_required", "login_required"], ["access_denied", "access_denied"], ["server_error", "authorization_error"]]) {
    test(`error=${error} becomes ${code}`, async () => {
      const { auth, state } = await pendingLogin((n) => json(200, goodTokens(n)));
      await expectRefused(auth.handleRedirectCallback(url({ error, error_description: "why", state, iss: ISSUER })), code, auth);
    });
  }
  test("a forged error without the right state is a state_mismatch, not believed", async () => {
    const { auth } = await pendingLogin((n) => json(200, goodTokens(n)));
    await expectRefused(auth.handleRedirectCallback(url({ error: "access_denied", state: "forged" })), "state_mismatch", auth);
  });
  test("the good callback works (control case)", async () => {
    const { auth, state } = await pendingLogin((n) => json(200, goodTokens(n)));
    const { user } = await auth.handleRedirectCallback(url({ code: "c", state, iss: ISSUER }));
    assert.equal(user.sub, "alice");
    assert.equal(auth.isAuthenticated, true);
  });
});

describe("the token response", () => {
  const cases = {
    "truncated JSON": [() => json(200, '{"'), "invalid_response"],
    "null": [() => json(200, "null"), "invalid_response"],
    "an array": [() => json(200, "[]"), "invalid_response"],
    "access_token not a string": [(n) => json(200, { ...goodTokens(n), access_token: 42 }), "invalid_response"],
    "access_token with a space": [(n) => json(200, { ...goodTokens(n), access_token: "a b" }), "invalid_response"],
    "expires_in a string": [(n) => json(200, { ...goodTokens(n), expires_in: "300" }), "invalid_response"],
    "expires_in zero": [(n) => json(200, { ...goodTokens(n), expires_in: 0 }), "invalid_response"],
    "expires_in missing": [(n) => { const t = goodTokens(n); delete t.expires_in; return json(200, t); }, "invalid_response"],
    "token_type DPoP": [(n) => json(200, { ...goodTokens(n), token_type: "DPoP" }), "invalid_response"],
    "token_type missing": [(n) => { const t = goodTokens(n); delete t.token_type; return json(200, t); }, "invalid_response"],
    "duplicate member": [(n) => json(200, `{"access_token":"a","access_token":"b","token_type":"Bearer","expires_in":1,"id_token":"${goodTokens(n).id_token}"}`), "invalid_response"],
    "text/html": [(n) => json(200, goodTokens(n), { "content-type": "text/html" }), "invalid_response"],
    "no content type": [(n) => new Response(JSON.stringify(goodTokens(n)), { status: 200 }), "invalid_response"],
    "oversized (declared)": [(n) => json(200, { ...goodTokens(n), pad: "x".repeat(70_000) }), "invalid_response"],
    "oversized (streamed, no length)": [(n) => new Response(new ReadableStream({
      pull(c) { c.enqueue(new TextEncoder().encode(" ".repeat(16384))); } }), { status: 200, headers: { "content-type": "application/json" } }), "invalid_response"],
    "deeply nested": [() => json(200, "[".repeat(60000)), "invalid_response"],
    "400 invalid_grant": [() => json(400, { error: "invalid_grant" }), "invalid_grant"],
    "400 invalid_client": [() => json(400, { error: "invalid_client" }), "configuration"],
    "500": [() => json(500, "oops"), "server_error"],
    "id_token malformed": [(n) => json(200, { ...goodTokens(n), id_token: "not.a.jwt!" }), "invalid_id_token"],
    "id_token alg none": [(n) => json(200, goodTokens(n, {}, { alg: "none" })), "invalid_id_token"],
    "id_token duplicate claim": [(n) => json(200, { ...goodTokens(n), id_token: `${b64({ alg: "ES256" })}.${b64(`{"sub":"a","sub":"b"}`)}.c2ln` }), "invalid_id_token"],
    "id_token wrong iss": [(n) => json(200, goodTokens(n, { iss: "https://evil.example" })), "invalid_id_token"],
    "id_token wrong aud": [(n) => json(200, goodTokens(n, { aud: "other" })), "invalid_id_token"],
    "id_token several aud, no azp": [(n) => json(200, goodTokens(n, { aud: [CLIENT, "other"] })), "invalid_id_token"],
    "id_token wrong azp": [(n) => json(200, goodTokens(n, { azp: "other" })), "invalid_id_token"],
    "id_token expired": [(n) => json(200, goodTokens(n, { exp: Math.floor(NOW / 1000) - 600 })), "invalid_id_token"],
    "id_token without iat": [(n) => json(200, goodTokens(n, { iat: undefined })), "invalid_id_token"],
    "id_token iat in the future": [(n) => json(200, goodTokens(n, { iat: Math.floor(NOW / 1000) + 3600 })), "invalid_id_token"],
    "id_token wrong nonce": [(n) => json(200, goodTokens(n, { nonce: "other" })), "invalid_id_token"],
    "id_token without nonce": [(n) => json(200, goodTokens(n, { nonce: undefined })), "invalid_id_token"],
  };
  for (const [name, [answer, code]] of Object.entries(cases)) {
    test(`${name} → ${code}`, async () => {
      const { auth, state } = await pendingLogin(answer);
      await expectRefused(auth.handleRedirectCallback(`${REDIRECT}?code=c&state=${state}&iss=${encodeURIComponent(ISSUER)}`), code, auth);
    });
  }

  test("a refreshed ID token for another sub is refused and the session kept (OIDC Core §12.2)", async () => {
    let nonce;
    let refreshedSub = "alice";
    let mono = 5_000;
    const { auth, navigations } = await client((path) => {
      if (path === "/token") return json(200, goodTokens(nonce));
      if (path === "/auth/refresh") return json(200, goodTokens(nonce, { sub: refreshedSub }));
      return json(404, {});
    }, { monotonicNow: () => mono });
    await auth.login();
    const q = new URL(navigations[0]).searchParams;
    nonce = q.get("nonce");
    await auth.handleRedirectCallback(`${REDIRECT}?code=c&state=${q.get("state")}&iss=${encodeURIComponent(ISSUER)}`);
    refreshedSub = "mallory";
    mono += 300_000; // the 300 s access token has expired: the next call refreshes
    await expectRefused(auth.getAccessToken(), "invalid_id_token");
    assert.equal(auth.user.sub, "alice");
  });
});

describe("API calls", () => {
  test("403 insufficient_scope and a 401 without invalid_token are delivered, not refreshed", async () => {
    let refreshes = 0;
    const { auth } = await client((path) => {
      if (path === "/auth/login") return json(200, { access_token: "t", token_type: "Bearer", expires_in: 300 });
      if (path === "/auth/refresh") return refreshes++, json(200, { access_token: "t2", token_type: "Bearer", expires_in: 300 });
      if (path === "/scope") return json(403, {}, { "www-authenticate": 'Bearer error="insufficient_scope"' });
      if (path === "/plain401") return json(401, {}, { "www-authenticate": 'Bearer realm="x"' });
      if (path === "/always401") return json(401, {}, { "www-authenticate": 'Bearer error="invalid_token"' });
      return json(404, {});
    });
    await auth.loginWithPassword("u", "p");
    assert.equal((await auth.fetch(`${ISSUER}/scope`)).status, 403);
    assert.equal((await auth.fetch(`${ISSUER}/plain401`)).status, 401);
    assert.equal(refreshes, 0);
    // Refused again after the refresh: exactly one refresh and one retry, then the 401 is the answer.
    assert.equal((await auth.fetch(`${ISSUER}/always401`)).status, 401);
    assert.equal(refreshes, 1);
  });

  test("the bare `WWW-Authenticate: token_expired` of the seeds triggers the refresh", async () => {
    let refreshes = 0;
    let current = "t1";
    const { auth } = await client((path, request) => {
      if (path === "/auth/login") return json(200, { access_token: "t1", token_type: "Bearer", expires_in: 300 });
      if (path === "/auth/refresh") return refreshes++, (current = "t2"), json(200, { access_token: "t2", token_type: "Bearer", expires_in: 300 });
      if (path === "/api") return request.headers.get("authorization") === `Bearer ${current}` ? json(200, {}) : json(401, {}, { "www-authenticate": "token_expired" });
      return json(404, {});
    });
    await auth.loginWithPassword("u", "p");
    current = "t-rotated-elsewhere";
    const res = await auth.fetch(`${ISSUER}/api`);
    assert.equal(refreshes, 1);
    assert.equal(res.status, 200);
  });
});
