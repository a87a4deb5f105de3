// Origin allow-list and CORS, RFC 6750 bearer errors, rate limiting, hostile input.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  getWithBearer, newSession, postJson, refresh, register, sleep, startServer, uniqueUsername,
} from "./server-process.js";

const SPA = "http://localhost:5173";

describe("origins, CORS and bearer errors", () => {
  let server;
  before(async () => {
    server = await startServer({
      args: ["--allowed-origin", SPA, "--access-ttl", "1", "--demo", "--login-burst", "3", "--login-per-minute", "1"],
    });
  });
  after(() => server.stop());

  test("refresh from a foreign Origin, a null Origin or without Origin is 403", async () => {
    const s = await newSession(server);
    for (const origin of ["https://evil.example", "null", null]) {
      const res = await refresh(server, s.refreshToken, { origin });
      assert.equal(res.status, 403, String(origin));
      assert.equal((await res.json()).error, "access_denied");
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    }
    const ok = await refresh(server, s.refreshToken, { origin: SPA });
    assert.equal(ok.status, 200, "a listed SPA origin may refresh");
    assert.equal(ok.headers.get("access-control-allow-origin"), SPA);
    assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
  });

  test("preflights are answered for listed origins only", async () => {
    const ask = (origin) => fetch(server.url + "/auth/refresh", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    const good = await ask(SPA);
    assert.equal(good.status, 204);
    assert.equal(good.headers.get("access-control-allow-origin"), SPA);
    assert.match(good.headers.get("access-control-allow-headers"), /Authorization/);
    const bad = await ask("https://evil.example");
    assert.equal(bad.status, 403);
    assert.equal(bad.headers.get("access-control-allow-origin"), null);
  });

  test("login from a foreign Origin is refused", async () => {
    const user = await register(server);
    const res = await postJson(server, "/auth/login", user, { origin: "https://evil.example" });
    assert.equal(res.status, 403);
  });

  test("missing, malformed and forged bearer tokens: 401 + RFC 6750 WWW-Authenticate", async () => {
    const none = await fetch(server.url + "/api/posts");
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="authwasm"');
    const s = await newSession(server);
    const [h, p, sig] = s.accessToken.split(".");
    const claims = JSON.parse(Buffer.from(p, "base64url"));
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "admin" })).toString("base64url")}.${sig}`;
    const noneAlg = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString("base64url")}.${p}.`;
    for (const token of ["garbage", forged, noneAlg, s.body.id_token]) {
      const res = await getWithBearer(server, "/api/posts", token);
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate"), /^Bearer realm="authwasm", error="invalid_token", error_description="[^"]+"$/);
      assert.equal((await res.json()).error, "invalid_token");
    }
  });

  test("an expired access token → 401 invalid_token \"The access token expired\"", async () => {
    const s = await newSession(server);
    assert.equal((await getWithBearer(server, "/api/posts", s.accessToken)).status, 200);
    await sleep(2100);
    const res = await getWithBearer(server, "/api/posts", s.accessToken);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"),
      'Bearer realm="authwasm", error="invalid_token", error_description="The access token expired"');
  });

  test("--demo: POST /demo/expire-token makes the caller's token expired", async () => {
    const s = await newSession(server);
    const res = await fetch(server.url + "/demo/expire-token", {
      method: "POST", headers: { authorization: `Bearer ${s.accessToken}`, origin: server.origin },
    });
    assert.equal(res.status, 204);
    const after = await getWithBearer(server, "/auth/me", s.accessToken);
    assert.equal(after.status, 401);
    assert.match(after.headers.get("www-authenticate"), /The access token expired/);
    // The demo user exists.
    const demo = await postJson(server, "/auth/login", { username: "demo", password: "demo-password" });
    assert.equal(demo.status, 200);
  });

  test("login attempts are rate-limited per username and IP", async () => {
    const user = await register(server);
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const res = await postJson(server, "/auth/login", { username: user.username, password: "wrong password!" });
      statuses.push(res.status);
      if (res.status === 429) assert.ok(Number(res.headers.get("retry-after")) >= 1);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  });

  test("hostile bodies get JSON errors, never a crash", async () => {
    const raw = (body, type = "application/json") => fetch(server.url + "/auth/login", {
      method: "POST", headers: { "content-type": type }, body,
    });
    const cases = [
      ["{\"", 400], ["null", 400], ["[]", 400], ['{"username":1,"password":2}', 400],
      ['{"username":"a","username":"b","password":"x"}', 400], ["[".repeat(100000), 413],
      ["[".repeat(5000), 400], ["\xff\xfe", 400], ["username=a&password=b", 415, "application/x-www-form-urlencoded"],
    ];
    for (const [body, status, type] of cases) {
      const res = await raw(body, type);
      assert.equal(res.status, status, body.slice(0, 40));
      const json = await res.json();
      assert.equal(typeof json.error, "string");
      assert.equal(typeof json.error_description, "string");
    }
    const weird = await postJson(server, "/auth/register", { username: "bad name\u0000", password: "12345678" });
    assert.equal(weird.status, 400);
    const short = await postJson(server, "/auth/register", { username: uniqueUsername(), password: "short" });
    assert.equal(short.status, 400);
    const unknown = await fetch(server.url + "/auth/nope");
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error, "not_found");
    // The server is still alive.
    assert.equal((await fetch(server.url + "/.well-known/jwks.json")).status, 200);
  });

  test("registering a taken username is 409", async () => {
    const user = await register(server);
    const res = await postJson(server, "/auth/register", { username: user.username, password: "another password" });
    assert.equal(res.status, 409);
  });
});
