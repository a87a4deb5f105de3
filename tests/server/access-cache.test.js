// The server's cache of verified access tokens (server/access_cache.hpp, issue 13) changes
// no answer: every test first uses a token so that it is cached, then checks that expiry,
// the --demo expire-token switch, forgeries and session revocation get exactly the answers
// a full signature check gives (server/README.md "Tokens"). The DPoP proof of every request
// with a cached DPoP-bound token is covered by tests/server/dpop.test.js ("hostile proofs"),
// whose requests all reuse one cached token.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  getWithBearer, jwtClaims, newSession, postJson, refresh, register, sleep, startServer,
} from "./server-process.js";

const EXPIRED = 'Bearer realm="authwasm", error="invalid_token", error_description="The access token expired"';

describe("cache of verified access tokens: expiry (2-second tokens)", () => {
  let server;
  before(async () => {
    server = await startServer({ args: ["--access-ttl", "2"] });
  });
  after(() => server.stop());

  const api = (token) => getWithBearer(server, "/api/posts", token);

  test("a cached token is accepted until its exp second and refused from then on, on /api and /auth/me", async () => {
    const s = await newSession(server);
    const expMs = jwtClaims(s.accessToken).exp * 1000;  // NumericDate: refused when now >= exp
    let accepted = 0;
    while (Date.now() < expMs - 300) {
      const res = await api(s.accessToken);
      assert.equal(res.status, 200, `refused ${expMs - Date.now()} ms before exp`);
      accepted++;
      await sleep(50);
    }
    assert.ok(accepted >= 5, `only ${accepted} requests before exp`);
    await sleep(Math.max(0, expMs - Date.now()) + 50);
    for (const path of ["/api/posts", "/api/posts", "/auth/me"]) {
      const res = await getWithBearer(server, path, s.accessToken);
      assert.equal(res.status, 401, path);
      assert.equal(res.headers.get("www-authenticate"), EXPIRED);
      assert.equal((await res.json()).error, "invalid_token");
    }
  });

});

describe("cache of verified access tokens: revocation and forgeries", () => {
  let server;
  before(async () => {
    server = await startServer({ args: ["--access-ttl", "600", "--demo"] });
  });
  after(() => server.stop());

  const api = (token) => getWithBearer(server, "/api/posts", token);
  const expireToken = (token) => fetch(server.url + "/demo/expire-token", {
    method: "POST", headers: { authorization: `Bearer ${token}`, origin: server.origin },
  });

  test("--demo expire-token: a cached token answers 401 expired from then on; the user's other token does not", async () => {
    const user = await register(server);
    const a = await newSession(server, user);
    const b = await newSession(server, user);
    for (const token of [a.accessToken, a.accessToken, b.accessToken]) assert.equal((await api(token)).status, 200);
    assert.equal((await expireToken(a.accessToken)).status, 204);
    for (const path of ["/api/posts", "/auth/me", "/api/posts"]) {
      const res = await getWithBearer(server, path, a.accessToken);
      assert.equal(res.status, 401, path);
      assert.equal(res.headers.get("www-authenticate"), EXPIRED);
    }
    assert.equal((await expireToken(a.accessToken)).status, 401);
    assert.equal((await api(b.accessToken)).status, 200);
    assert.equal((await getWithBearer(server, "/auth/me", b.accessToken)).status, 200);
  });

  test("forged variants of a cached token are verified in full and refused", async () => {
    const s = await newSession(server);
    assert.equal((await api(s.accessToken)).status, 200);
    const [h, p, sig] = s.accessToken.split(".");
    const other = (await newSession(server)).accessToken;
    const flip = (text, i) => text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
    const claims = jwtClaims(s.accessToken);
    const payload = (extra) => Buffer.from(JSON.stringify({ ...claims, ...extra })).toString("base64url");
    const forgeries = {
      "another signature byte": `${h}.${p}.${flip(sig, 5)}`,
      "a payload byte": `${h}.${flip(p, 10)}.${sig}`,
      "another sub, same signature": `${h}.${payload({ sub: "admin" })}.${sig}`,
      "a later exp, same signature": `${h}.${payload({ exp: claims.exp + 3600 })}.${sig}`,
      "another token's signature": `${h}.${p}.${other.split(".")[2]}`,
      "the signature dropped": `${h}.${p}.`,
      "one extra character": `${s.accessToken}A`,
      "one character short": s.accessToken.slice(0, -1),
    };
    for (const [name, token] of Object.entries(forgeries)) {
      const res = await api(token);
      assert.equal(res.status, 401, name);
      assert.match(res.headers.get("www-authenticate"), /^Bearer realm="authwasm", error="invalid_token"/, name);
    }
    assert.equal((await api(s.accessToken)).status, 200);  // the genuine one is still good
  });

  test("logout and logout-all revoke the sessions, and cached access tokens live to exp as uncached ones do", async () => {
    const user = await register(server);
    const a = await newSession(server, user);
    const b = await newSession(server, user);
    const uncached = await newSession(server, user);
    for (const s of [a, b]) assert.equal((await api(s.accessToken)).status, 200);
    const out = await fetch(server.url + "/auth/logout", {
      method: "POST", headers: { origin: server.origin, cookie: `authwasm_rt=${a.refreshToken}` },
    });
    assert.equal(out.status, 204);
    const all = await postJson(server, "/auth/logout-all", {}, { authorization: `Bearer ${b.accessToken}` });
    assert.deepEqual(await all.json(), { revoked_sessions: 2 });
    for (const s of [a, b, uncached]) assert.equal((await refresh(server, s.refreshToken)).status, 401);
    // README "Tokens": revoking a session does not recall access tokens already issued.
    for (const s of [a, b, uncached]) assert.equal((await api(s.accessToken)).status, 200);
  });
});
