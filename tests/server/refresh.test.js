// The cookie refresh flow: rotation, reuse detection, concurrent refreshes and the
// lost-response grace window (server/README.md "Refresh-token rotation").
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  atPhaseOfSecond, debugStats, getWithBearer, jwtClaims, newSession, refresh, refreshCookieOf, sleep, startServer,
} from "./server-process.js";

describe("refresh rotation (default grace, 30 s)", () => {
  let server;
  before(async () => {
    server = await startServer({ args: ["--debug-stats"] });
  });
  after(() => server.stop());

  test("login answers tokens and an HttpOnly, Secure, SameSite=Strict cookie on /auth", async () => {
    const s = await newSession(server);
    assert.equal(s.body.token_type, "Bearer");
    assert.equal(typeof s.body.expires_in, "number");
    assert.equal(typeof s.body.id_token, "string");
    assert.equal(s.body.scope, "openid profile");
    assert.match(s.refreshToken, /^[A-Za-z0-9_-]{43}$/);  // 256 bits
    const res = await getWithBearer(server, "/auth/me", s.accessToken);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sub: s.sub, username: s.username });
  });

  test("the Set-Cookie attributes", async () => {
    const s = await newSession(server);
    const res = await refresh(server, s.refreshToken);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("authwasm_rt="));
    for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/auth"]) {
      assert.ok(cookie.includes(attribute), `${attribute} in ${cookie}`);
    }
  });

  test("each refresh rotates the token and returns a fresh access token of the same session", async () => {
    const s = await newSession(server);
    let token = s.refreshToken;
    const seen = new Set([token]);
    for (let i = 0; i < 5; i++) {
      const res = await refresh(server, token);
      assert.equal(res.status, 200);
      const body = await res.json();
      token = refreshCookieOf(res);
      assert.ok(!seen.has(token), "a new refresh token every time");
      seen.add(token);
      assert.equal(jwtClaims(body.access_token).sid, jwtClaims(s.accessToken).sid);
      assert.equal((await getWithBearer(server, "/api/posts", body.access_token)).status, 200);
    }
  });

  test("reuse of an older token revokes the whole family with 401 invalid_grant", async () => {
    const s = await newSession(server);
    const t1 = refreshCookieOf(await refresh(server, s.refreshToken));
    const t2 = refreshCookieOf(await refresh(server, t1));
    // t0 is two generations behind: not a lost response, a replay.
    const reuse = await refresh(server, s.refreshToken);
    assert.equal(reuse.status, 401);
    assert.equal((await reuse.json()).error, "invalid_grant");
    assert.equal(refreshCookieOf(reuse), "", "the cookie is cleared");
    // The legitimate holder's current token is dead too.
    const current = await refresh(server, t2);
    assert.equal(current.status, 401);
    assert.deepEqual(await current.json(), {
      error: "invalid_grant", error_description: "the session was revoked",
    });
  });

  test("unknown, malformed and missing cookies get 401 invalid_grant", async () => {
    for (const token of ["A".repeat(43), "not-a-token", undefined]) {
      const res = await refresh(server, token);
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error, "invalid_grant");
    }
  });

  test("concurrent refreshes of one token (two tabs) do not end the session", async () => {
    const s = await newSession(server);
    const answers = await Promise.all(Array.from({ length: 8 }, () => refresh(server, s.refreshToken)));
    assert.deepEqual(answers.map((r) => r.status), Array(8).fill(200));
    const tokens = answers.map(refreshCookieOf);
    assert.equal(new Set(tokens).size, 8);
    // The browser keeps whichever Set-Cookie it processed last: any of them must work.
    for (const token of [tokens[0], tokens[7]]) {
      const res = await refresh(server, token);
      assert.equal(res.status, 200, "a sibling of the current generation is accepted");
    }
  });

  test("lost response: re-presenting the just-rotated token within the window continues the family", async () => {
    const s = await newSession(server);
    const lost = await refresh(server, s.refreshToken);  // the client never sees this answer
    assert.equal(lost.status, 200);
    const retry = await refresh(server, s.refreshToken);
    assert.equal(retry.status, 200);
    const t = refreshCookieOf(retry);
    const next = await refresh(server, t);
    assert.equal(next.status, 200, "the family continues from the re-issued token");
    const counters = await debugStats(server);
    assert.ok(counters.refresh_grace >= 1);
    assert.ok(counters.refresh_requests >= 3);
  });
});

// The window is measured in milliseconds (server/README.md "Time in milliseconds"). Each
// late re-presentation below lands where a server comparing whole seconds would still grant
// grace (the rotation is placed just after a whole second), so these tests fail against one.
describe("refresh rotation (grace 1 s)", () => {
  let server;
  before(async () => {
    server = await startServer({ args: ["--grace", "1", "--debug-stats"] });
  });
  after(() => server.stop());

  test("the predecessor re-presented ~200 ms after the rotation is a grace reissue", async () => {
    const s = await newSession(server);
    assert.equal((await refresh(server, s.refreshToken)).status, 200);
    await sleep(200);
    const retry = await refresh(server, s.refreshToken);
    assert.equal(retry.status, 200, "inside the 1000 ms window");
    assert.equal((await refresh(server, refreshCookieOf(retry))).status, 200, "the family continues");
  });

  test("the predecessor re-presented ~1500 ms after the rotation is reuse: family revoked", async () => {
    const s = await newSession(server);
    const before = await debugStats(server);
    await atPhaseOfSecond(50);  // whole seconds: rotation at x.05, retry at x+1.55 -> "1 s later"
    const t1 = refreshCookieOf(await refresh(server, s.refreshToken));
    await sleep(1500);
    const late = await refresh(server, s.refreshToken);
    assert.equal(late.status, 401);
    assert.deepEqual(await late.json(), {
      error: "invalid_grant", error_description: "refresh token reuse detected; the session was revoked",
    });
    assert.equal((await refresh(server, t1)).status, 401, "the successor is revoked too");
    const now = await debugStats(server);
    assert.equal(now.refresh_grace - before.refresh_grace, 0);
    assert.equal(now.refresh_reuse - before.refresh_reuse, 1);
  });

  test("a stolen token replayed inside the window dies at the owner's next rotation", async () => {
    const s = await newSession(server);
    const owner = refreshCookieOf(await refresh(server, s.refreshToken));
    const thief = refreshCookieOf(await refresh(server, s.refreshToken));  // within the window
    assert.ok(thief);
    const ownerNext = await refresh(server, owner);  // the family advances
    assert.equal(ownerNext.status, 200);
    await sleep(1500);
    const thiefLate = await refresh(server, thief);
    assert.equal(thiefLate.status, 401, "the thief's sibling is a generation behind, past the window");
    assert.equal((await refresh(server, refreshCookieOf(ownerNext))).status, 401,
      "and the replay revoked the family (the owner must log in again)");
  });
});

describe("refresh rotation (grace 0: strict)", () => {
  let server;
  before(async () => {
    server = await startServer({ args: ["--grace", "0", "--debug-stats"] });
  });
  after(() => server.stop());

  test("an immediate re-presentation of a rotated token revokes the family", async () => {
    const s = await newSession(server);
    const before = await debugStats(server);
    await atPhaseOfSecond(50);  // both requests inside one whole second
    const t1 = refreshCookieOf(await refresh(server, s.refreshToken));
    const again = await refresh(server, s.refreshToken);
    assert.equal(again.status, 401);
    assert.equal((await again.json()).error, "invalid_grant");
    assert.equal(refreshCookieOf(again), "", "the cookie is cleared");
    assert.equal((await refresh(server, t1)).status, 401, "the successor is revoked too");
    const now = await debugStats(server);
    assert.equal(now.refresh_grace - before.refresh_grace, 0, "no grace reissue at all");
    assert.equal(now.refresh_reuse - before.refresh_reuse, 1);
  });

  test("concurrent re-presentations: exactly one rotates, the family is revoked", async () => {
    const s = await newSession(server);
    const answers = await Promise.all(Array.from({ length: 4 }, () => refresh(server, s.refreshToken)));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 401, 401, 401]);
    const winner = refreshCookieOf(answers.find((r) => r.status === 200));
    assert.equal((await refresh(server, winner)).status, 401, "the rotated successor is dead");
  });
});

describe("refresh-token lifetime (--refresh-ttl 1)", () => {
  let server;
  before(async () => {
    server = await startServer({ args: ["--refresh-ttl", "1", "--grace", "0", "--cleanup-interval", "3600"] });
  });
  after(() => server.stop());

  test("a refresh token ~300 ms old is accepted; ~1500 ms old it is refused as expired", async () => {
    const s = await newSession(server);
    await atPhaseOfSecond(850);  // whole seconds: issued at x.85, used at x+1.15 -> expired
    const young = refreshCookieOf(await refresh(server, s.refreshToken));
    await sleep(300);
    const res = await refresh(server, young);
    assert.equal(res.status, 200, "inside its 1000 ms lifetime");
    await sleep(1500);
    const old = await refresh(server, refreshCookieOf(res));
    assert.equal(old.status, 401);
    assert.equal((await old.json()).error_description, "the refresh token expired");
  });
});
