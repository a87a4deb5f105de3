// Logout (this session) and logout-all (every session of the user).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  getWithBearer, newSession, postJson, refresh, refreshCookieOf, register, startServer,
} from "./server-process.js";

describe("logout", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  function logout(token, origin = server.origin) {
    return fetch(server.url + "/auth/logout", {
      method: "POST", headers: { origin, cookie: `authwasm_rt=${token}` },
    });
  }

  test("logout revokes this session's family and clears the cookie; others survive", async () => {
    const user = await register(server);
    const a = await newSession(server, user);
    const b = await newSession(server, user);
    const a1 = refreshCookieOf(await refresh(server, a.refreshToken));
    const res = await logout(a1);
    assert.equal(res.status, 204);
    assert.equal(refreshCookieOf(res), "");
    assert.ok(res.headers.getSetCookie().some((c) => c.startsWith("authwasm_rt=;") && c.includes("Max-Age=0")));
    assert.equal((await refresh(server, a1)).status, 401);
    assert.equal((await refresh(server, a.refreshToken)).status, 401, "the whole family, older tokens too");
    assert.equal((await refresh(server, b.refreshToken)).status, 200, "the other session is untouched");
  });

  test("logout without a cookie still answers 204", async () => {
    const res = await fetch(server.url + "/auth/logout", { method: "POST", headers: { origin: server.origin } });
    assert.equal(res.status, 204);
  });

  test("logout from a foreign Origin is refused and revokes nothing", async () => {
    const s = await newSession(server);
    const res = await logout(s.refreshToken, "https://evil.example");
    assert.equal(res.status, 403);
    assert.equal((await refresh(server, s.refreshToken)).status, 200);
  });

  test("logout-all (bearer) revokes every session of the user, not other users'", async () => {
    const user = await register(server);
    const a = await newSession(server, user);
    const b = await newSession(server, user);
    const stranger = await newSession(server);
    const unauthenticated = await postJson(server, "/auth/logout-all", {});
    assert.equal(unauthenticated.status, 401);
    const res = await postJson(server, "/auth/logout-all", {}, { authorization: `Bearer ${a.accessToken}` });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { revoked_sessions: 2 });
    assert.equal((await refresh(server, a.refreshToken)).status, 401);
    assert.equal((await refresh(server, b.refreshToken)).status, 401);
    assert.equal((await refresh(server, stranger.refreshToken)).status, 200);
    // Access tokens are verified from the JWT alone: they stay valid until they expire.
    assert.equal((await getWithBearer(server, "/api/posts", b.accessToken)).status, 200);
  });
});
