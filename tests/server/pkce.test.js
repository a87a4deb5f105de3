// Authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9207) against the real
// binary; the PKCE pair comes from the project's own package (the wasm core).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createPkcePair } from "../../js/index.js";
import {
  atPhaseOfSecond, getWithBearer, jwtClaims, refresh, refreshCookieOf, register, sleep, startServer,
} from "./server-process.js";

const CLIENT = "spa-test";
const REDIRECT = "http://127.0.0.1:9/callback";
const OTHER_REDIRECT = "http://127.0.0.1:9/other";

function authorizeUrl(server, params) {
  const url = new URL("/authorize", server.url);
  const all = {
    response_type: "code", client_id: CLIENT, redirect_uri: REDIRECT, scope: "openid profile",
    code_challenge_method: "S256", ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** Submits the login form the way a browser would; returns the 302 Location and cookies. */
async function submitLogin(server, user, params) {
  const form = new URLSearchParams({
    response_type: "code", client_id: CLIENT, redirect_uri: REDIRECT, scope: "openid profile",
    code_challenge_method: "S256", ...params, username: user.username, password: user.password,
  });
  const res = await fetch(server.url + "/authorize", {
    method: "POST", redirect: "manual", body: form,
    headers: { origin: server.origin, "content-type": "application/x-www-form-urlencoded" },
  });
  return res;
}

function token(server, fields) {
  return fetch(server.url + "/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: CLIENT, redirect_uri: REDIRECT, ...fields }),
  });
}

async function obtainCode(server, user, extra = {}) {
  const pkce = await createPkcePair();
  const res = await submitLogin(server, user, { code_challenge: pkce.challenge, state: "st-123", ...extra });
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get("location"));
  return { pkce, location, code: location.searchParams.get("code"), res };
}

/** The `authwasm_session=…` pair the login form's answer sets (for a Cookie header). */
function sessionCookieOf(res) {
  return res.headers.getSetCookie().find((c) => c.startsWith("authwasm_session="))?.split(";")[0];
}

/** GET /authorize with a login-session cookie (no password: no argon2 time). */
async function authorizeWithSession(server, cookie, params = {}) {
  const pkce = await createPkcePair();
  const res = await fetch(authorizeUrl(server, { code_challenge: pkce.challenge, ...params }), {
    redirect: "manual", headers: { cookie },
  });
  const location = res.status === 302 ? new URL(res.headers.get("location")) : undefined;
  return { pkce, res, location, code: location?.searchParams.get("code") };
}

describe("authorization code + PKCE", () => {
  let server;
  let user;
  before(async () => {
    server = await startServer({
      args: ["--client-id", CLIENT, "--redirect-uri", REDIRECT, "--redirect-uri", OTHER_REDIRECT],
    });
    user = await register(server);
  });
  after(() => server.stop());

  test("GET /authorize shows a login form with username and password fields", async () => {
    const { challenge } = await createPkcePair();
    const res = await fetch(authorizeUrl(server, { code_challenge: challenge, state: "s" }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /text\/html/);
    const html = await res.text();
    assert.match(html, /name="username"/);
    assert.match(html, /name="password"/);
    assert.match(html, /type="submit"/);
    assert.match(html, new RegExp(`value="${challenge}"`));
  });

  test("full flow: form login → 302 with code, state and iss → /token → tokens + cookie", async () => {
    const { pkce, location, code } = await obtainCode(server, user, { nonce: "n-42" });
    assert.equal(location.origin + location.pathname, REDIRECT);
    assert.equal(location.searchParams.get("state"), "st-123");
    assert.equal(location.searchParams.get("iss"), server.url, "RFC 9207 iss");
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);

    const res = await token(server, { code, code_verifier: pkce.verifier });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await res.json();
    assert.equal(body.token_type, "Bearer");
    const access = jwtClaims(body.access_token);
    assert.equal(access.aud, CLIENT);
    assert.equal(access.iss, server.url);
    for (const claim of ["sub", "exp", "iat", "jti", "sid", "scope"]) assert.ok(claim in access, claim);
    const id = jwtClaims(body.id_token);
    assert.equal(id.nonce, "n-42");
    assert.equal(id.azp, CLIENT);
    assert.equal(typeof id.auth_time, "number");
    assert.equal(id.sub, user.sub);

    const rt = refreshCookieOf(res);
    assert.ok(rt, "the refresh cookie is set by /token too");
    assert.equal((await refresh(server, rt)).status, 200);
    assert.equal((await getWithBearer(server, "/api/posts", body.access_token)).status, 200);
  });

  test("a live login session redirects straight back; prompt=none works with it", async () => {
    const { res } = await obtainCode(server, user);
    const session = res.headers.getSetCookie().find((c) => c.startsWith("authwasm_session="));
    assert.ok(session?.includes("HttpOnly"));
    const { res: again, location, code } = await authorizeWithSession(server, sessionCookieOf(res), {
      state: "x", prompt: "none",
    });
    assert.equal(again.status, 302);
    assert.ok(code);
    assert.equal(location.searchParams.get("state"), "x");
  });

  test("prompt=none without a session → error=login_required on the redirect", async () => {
    const { challenge } = await createPkcePair();
    const res = await fetch(authorizeUrl(server, { code_challenge: challenge, state: "q", prompt: "none" }), {
      redirect: "manual",
    });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get("location"));
    assert.equal(location.searchParams.get("error"), "login_required");
    assert.equal(location.searchParams.get("state"), "q");
    assert.equal(location.searchParams.get("iss"), server.url);
  });

  test("wrong code_verifier → 400 invalid_grant, and the code is spent", async () => {
    const { code, pkce } = await obtainCode(server, user);
    const other = await createPkcePair();
    const res = await token(server, { code, code_verifier: other.verifier });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "invalid_grant");
    const retry = await token(server, { code, code_verifier: pkce.verifier });
    assert.equal(retry.status, 400, "no second try with the right verifier");
  });

  test("a reused code is refused and revokes the session it created (RFC 6749 §4.1.2)", async () => {
    const { code, pkce } = await obtainCode(server, user);
    const first = await token(server, { code, code_verifier: pkce.verifier });
    assert.equal(first.status, 200);
    const rt = refreshCookieOf(first);
    const second = await token(server, { code, code_verifier: pkce.verifier });
    assert.equal(second.status, 400);
    assert.equal((await second.json()).error, "invalid_grant");
    assert.equal((await refresh(server, rt)).status, 401);
  });

  test("redirect_uri must match exactly at /authorize (no redirect) and at /token", async () => {
    const { challenge } = await createPkcePair();
    for (const bad of [REDIRECT + "/", REDIRECT + "?x=1", "http://127.0.0.1:9/CALLBACK", "http://evil.example/callback"]) {
      const res = await fetch(authorizeUrl(server, { code_challenge: challenge, redirect_uri: bad }), {
        redirect: "manual",
      });
      assert.equal(res.status, 400, bad);
      assert.equal(res.headers.get("location"), null, "never redirect to an unregistered URI");
      assert.equal((await res.json()).error, "invalid_request");
    }
    const { code, pkce } = await obtainCode(server, user);
    const res = await token(server, { code, code_verifier: pkce.verifier, redirect_uri: OTHER_REDIRECT });
    assert.equal(res.status, 400, "bound to the redirect_uri of the authorization request");
    assert.equal((await res.json()).error, "invalid_grant");
  });

  test("unknown client, missing PKCE, plain method and bad response_type", async () => {
    const { challenge } = await createPkcePair();
    const unknown = await fetch(authorizeUrl(server, { client_id: "nope", code_challenge: challenge }), {
      redirect: "manual",
    });
    assert.equal(unknown.status, 400);
    const cases = [
      [{ code_challenge: undefined }, "invalid_request"],
      [{ code_challenge: challenge, code_challenge_method: "plain" }, "invalid_request"],
      [{ code_challenge: challenge, response_type: "token" }, "unsupported_response_type"],
    ];
    for (const [params, error] of cases) {
      const res = await fetch(authorizeUrl(server, { state: "s", ...params }), { redirect: "manual" });
      assert.equal(res.status, 302);
      assert.equal(new URL(res.headers.get("location")).searchParams.get("error"), error);
    }
  });

  test("the code is bound to the client", async () => {
    const { code, pkce } = await obtainCode(server, user);
    const res = await token(server, { code, code_verifier: pkce.verifier, client_id: "authwasm-demo" });
    assert.ok([400, 401].includes(res.status));
  });

  test("wrong password shows the form again with 401", async () => {
    const { challenge } = await createPkcePair();
    const res = await submitLogin(server, { username: user.username, password: "wrong password" }, {
      code_challenge: challenge,
    });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /Wrong username or password/);
  });

  test("/token: hostile and malformed requests get JSON errors", async () => {
    const cases = [
      [{ grant_type: "password" }, "unsupported_grant_type"],
      [{ code: "x" }, "invalid_request"],
      [{ code: "A".repeat(43), code_verifier: "v".repeat(43) }, "invalid_grant"],
    ];
    for (const [fields, error] of cases) {
      const res = await token(server, fields);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error, error);
    }
    const dup = await fetch(server.url + "/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=authorization_code&code=a&code=b",
    });
    assert.equal((await dup.json()).error, "invalid_request");
  });
});

// Lifetimes are compared in milliseconds (server/README.md "Time in milliseconds"). Each
// early use is placed where a server comparing whole seconds would already refuse it.
describe("code and login-session lifetimes in milliseconds", () => {
  describe("--code-ttl 1", () => {
    let server;
    let cookie;
    before(async () => {
      server = await startServer({ args: ["--client-id", CLIENT, "--redirect-uri", REDIRECT, "--code-ttl", "1"] });
      const { res } = await obtainCode(server, await register(server));
      cookie = sessionCookieOf(res);
    });
    after(() => server.stop());

    test("a code redeemed ~300 ms after it was issued is accepted", async () => {
      await atPhaseOfSecond(850);  // whole seconds: issued at x.85, redeemed at x+1.15 -> expired
      const { code, pkce } = await authorizeWithSession(server, cookie);
      await sleep(300);
      const res = await token(server, { code, code_verifier: pkce.verifier });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).token_type, "Bearer");
    });

    test("a code redeemed ~1500 ms after it was issued is refused as expired", async () => {
      const { code, pkce } = await authorizeWithSession(server, cookie);
      await sleep(1500);
      const res = await token(server, { code, code_verifier: pkce.verifier });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { error: "invalid_grant", error_description: "the authorization code expired" });
    });
  });

  describe("--session-ttl 1", () => {
    let server;
    let user;
    before(async () => {
      server = await startServer({ args: ["--client-id", CLIENT, "--redirect-uri", REDIRECT, "--session-ttl", "1"] });
      user = await register(server);
    });
    after(() => server.stop());

    test("a login session ~300 ms old redirects straight back; ~1500 ms old it is gone", async () => {
      await atPhaseOfSecond(750);  // the session is created after the password check, near x.8-x.9
      const { res } = await obtainCode(server, user);
      const created = Date.now();
      const cookie = sessionCookieOf(res);
      await sleep(300);
      const early = await authorizeWithSession(server, cookie, { prompt: "none" });
      assert.equal(early.res.status, 302);
      assert.ok(early.code, `a code, not ${early.location}`);
      await sleep(Math.max(0, created + 1500 - Date.now()));
      const late = await authorizeWithSession(server, cookie, { prompt: "none" });
      assert.equal(late.res.status, 302);
      assert.equal(late.location.searchParams.get("error"), "login_required");
    });
  });
});
