// Several instances on one PostgreSQL behind one URL (issue 15; server/README.md "Deployment"):
// a throwaway PostgreSQL (tests/support/postgres.js), 3 authwasm-server processes sharing it,
// one issuer and one signing key, behind a round-robin proxy (tests/support/round-robin-proxy.js).
// Also the PostgreSQL store's own start-up rules: schema upgrade and a newer schema refused.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { newKey, proof } from "../support/dpop-proof.js";
import { startPostgres } from "../support/postgres.js";
import { startRoundRobinProxy } from "../support/round-robin-proxy.js";
import {
  debugStats, freshDataDir, getWithBearer, jwtHeader, keysCommand, newSession, parseRotation, postJson, refresh,
  refreshCookieOf, runServer, sleep, startServer, waitUntil,
} from "./server-process.js";

let pg;
const clusters = new Set();  // stopped here too when a failed test skipped its own stop()
before(async () => { pg = await startPostgres(); });
after(async () => {
  for (const cluster of clusters) await cluster.stop();
  await pg?.stop();
});

/** 3 instances (by default) on `pg` behind a proxy; `cluster.url`/`origin` are the proxy's. */
async function startCluster({ instances = 3, args = [] } = {}) {
  const proxy = await startRoundRobinProxy();
  const shared = mkdtempSync(join(tmpdir(), "authwasm-cluster-"));
  const common = ["--store", pg.url, "--issuer", proxy.url, "--key-file", join(shared, "signing-key.pem"),
    "--debug-stats", "--threads", "8", "--store-pool", "4", ...args];
  const servers = [];
  servers.push(await startServer({ args: common }));  // the first creates the key file
  for (let i = 1; i < instances; i++) servers.push(await startServer({ args: common }));
  proxy.upstreams.push(...servers.map((s) => s.url));
  const cluster = {
    url: proxy.url, origin: proxy.origin, servers, proxy,
    async totals() {
      const all = await Promise.all(servers.filter((s) => !s.killed).map(debugStats));
      const sum = (k) => all.reduce((n, s) => n + s[k], 0);
      return { rotated: sum("refresh_rotated"), grace: sum("refresh_grace"), reuse: sum("refresh_reuse") };
    },
    async stop() {
      if (!clusters.delete(cluster)) return;
      await Promise.all(servers.filter((s) => !s.killed).map((s) => s.stop()));
      await proxy.close();
      rmSync(shared, { recursive: true, force: true });
    },
  };
  clusters.add(cluster);
  return cluster;
}

describe("three instances on one PostgreSQL behind one URL", () => {
  test("16 concurrent refreshes of one family over 3 instances: one rotation, 15 grace siblings, no reuse", async () => {
    const cluster = await startCluster();
    const s = await newSession(cluster);
    const before = await cluster.totals();
    const answers = await Promise.all(Array.from({ length: 16 }, () => refresh(cluster, s.refreshToken)));
    assert.deepEqual(answers.map((r) => r.status), Array(16).fill(200));
    const after = await cluster.totals();
    assert.equal(after.rotated - before.rotated, 1, "exactly one rotation");
    assert.equal(after.grace - before.grace, 15, "the others are grace siblings");
    assert.equal(after.reuse - before.reuse, 0, "never a false reuse");
    assert.ok(cluster.proxy.hits.every((n) => n > 0), `every instance served: ${cluster.proxy.hits}`);
    // Every answer is a working token of the family's current generation.
    for (const res of answers) assert.equal((await refresh(cluster, refreshCookieOf(res))).status, 200);
    await cluster.stop();
  });

  test("a stolen token's reuse is caught on another instance and ends the family everywhere", async () => {
    const cluster = await startCluster({ args: ["--grace", "0"] });
    const s = await newSession(cluster);
    const current = refreshCookieOf(await refresh(cluster, s.refreshToken));       // instance 1
    const replay = await refresh(cluster, s.refreshToken);                        // instance 2: the thief
    assert.equal(replay.status, 401);
    assert.equal((await cluster.totals()).reuse, 1);
    const victim = await refresh(cluster, current);                               // instance 3
    assert.equal(victim.status, 401, "the family is revoked for every instance");
    await cluster.stop();
  });

  test("logout-all on one instance ends sessions refreshed through the others", async () => {
    const cluster = await startCluster();
    const first = await newSession(cluster);
    const second = await newSession(cluster, first);  // the same user, a second login
    let a = refreshCookieOf(await refresh(cluster, first.refreshToken));
    a = refreshCookieOf(await refresh(cluster, a));
    const b = refreshCookieOf(await refresh(cluster, second.refreshToken));
    const res = await postJson(cluster, "/auth/logout-all", {}, { authorization: `Bearer ${second.accessToken}` });
    assert.equal(res.status, 200);
    for (let i = 0; i < 3; i++) {  // each instance in turn
      assert.equal((await refresh(cluster, a)).status, 401);
      assert.equal((await refresh(cluster, b)).status, 401);
    }
    await cluster.stop();
  });

  test("an instance killed under load loses no session", async () => {
    const cluster = await startCluster();
    const sessions = await Promise.all(Array.from({ length: 8 }, () => newSession(cluster)));
    const tokens = sessions.map((s) => s.refreshToken);
    let failures = 0;
    let lost = 0;
    let rounds = 0;
    const killAt = Date.now() + 400;
    let killed = false;
    while (rounds < 30) {
      if (!killed && Date.now() >= killAt) {
        cluster.servers[1].child.kill("SIGKILL");
        cluster.servers[1].killed = true;
        killed = true;
      }
      // A request in flight on the killed instance gets 502 from the proxy, its refresh perhaps
      // committed: the client tries again with the same token, inside the grace window.
      const once = async (t) => {
        const res = await refresh(cluster, t);
        if (res.status !== 502) return res;
        lost++;
        return refresh(cluster, t);
      };
      const answers = await Promise.all(tokens.map(once));
      for (const [i, res] of answers.entries()) {
        if (res.status === 200) tokens[i] = refreshCookieOf(res);
        else failures++;
      }
      rounds++;
      await sleep(20);
    }
    assert.ok(killed);
    assert.equal(failures, 0, `no refresh failed, none was called reuse (${lost} answers lost with the instance)`);
    assert.equal((await cluster.totals()).reuse, 0);
    for (const t of tokens) assert.equal((await refresh(cluster, t)).status, 200, "every session is alive");
    await cluster.stop();
  });

  test("DPoP: a nonce from one instance is good at the others; a proof replayed at another instance is refused", async () => {
    const cluster = await startCluster();
    const s = await newSession(cluster);
    const key = newKey();
    const htu = cluster.url + "/auth/refresh";
    const send = (dpop, token) => fetch(htu, { method: "POST", headers: { origin: cluster.origin, cookie: `authwasm_rt=${token}`, dpop } });
    const challenge = await send(proof(key, { htm: "POST", htu }), s.refreshToken);  // instance 1: no nonce yet
    assert.equal(challenge.status, 400);
    assert.equal((await challenge.json()).error, "use_dpop_nonce");
    const nonce = challenge.headers.get("dpop-nonce");
    const good = proof(key, { htm: "POST", htu, nonce });
    const bound = await send(good, s.refreshToken);  // instance 2 takes instance 1's nonce
    assert.equal(bound.status, 200, await bound.clone().text());
    assert.equal((await bound.json()).token_type, "DPoP");
    const replayed = await send(good, refreshCookieOf(bound));  // instance 3: the same proof again
    assert.equal(replayed.status, 400);
    assert.match((await replayed.json()).error_description, /already used/);
    await cluster.stop();
  });

  test("login rate limits are shared: the burst is spent across instances, not per instance", async () => {
    const cluster = await startCluster({ args: ["--login-burst", "3", "--login-per-minute", "1"] });
    const user = await newSession(cluster);  // one login: 2 attempts left
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await postJson(cluster, "/auth/login", { username: user.username, password: "wrong password!" })).status);
    }
    assert.deepEqual(statuses, [401, 401, 429, 429]);
    await cluster.stop();
  });

  test("an access token issued by one instance is accepted by every other", async () => {
    const cluster = await startCluster();
    const s = await newSession(cluster);
    for (let i = 0; i < 3; i++) assert.equal((await getWithBearer(cluster, "/api/posts", s.accessToken)).status, 200);
    await cluster.stop();
  });
});

describe("signing keys in the store, three instances (issue 15)", () => {
  const kidsOf = async (url) => (await (await fetch(url + "/.well-known/jwks.json")).json()).keys.map((k) => k.kid);
  const rotate = async (args) => {
    const r = await keysCommand(["rotate", "--store", pg.url, ...args]);
    assert.equal(r.code, 0, r.stderr);
    return parseRotation(r.stdout);
  };
  // One instance addressed directly, with the Origin of the cluster's URL (the issuer).
  const direct = (cluster, server) => ({ url: server.url, origin: cluster.origin });

  test("keys rotate: every instance publishes the staged key after a reload, signs with it from activate_at, accepts the others' tokens", async () => {
    const TTL = 3;
    const cluster = await startCluster({ args: ["--key-reload", "1", "--access-ttl", String(TTL)] });
    const early = await newSession(cluster);
    const oldKid = jwtHeader(early.accessToken).kid;
    const staged = await rotate(["--promote-after", "3", "--retire-margin", "0", "--access-ttl", String(TTL), "--key-reload", "1"]);
    for (const server of cluster.servers) {
      await waitUntil(async () => (await kidsOf(server.url)).includes(staged.kid), 2500, `the staged kid at ${server.url}`);
    }
    for (const server of cluster.servers) assert.ok((await kidsOf(server.url)).includes(oldKid));
    await sleep(Math.max(0, staged.activateAt - 500 - Date.now()));
    const before = await newSession(cluster);
    assert.ok(Date.now() < staged.activateAt, "the login above ran before the promotion (machine too slow?)");
    assert.equal(jwtHeader(before.accessToken).kid, oldKid, "staged, not signing");

    await sleep(Math.max(0, staged.activateAt - Date.now()) + 20);
    const user = { username: before.username, password: before.password };
    for (const [i, signer] of cluster.servers.entries()) {
      const s = await newSession(direct(cluster, signer), user);
      assert.equal(jwtHeader(s.accessToken).kid, staged.kid, `instance ${i} signs with the new key`);
      for (const [j, other] of cluster.servers.entries()) {
        assert.equal((await getWithBearer(other, "/api/posts", s.accessToken)).status, 200, `${i}'s token at ${j}`);
        assert.equal((await getWithBearer(other, "/api/posts", before.accessToken)).status, 200, `old key's token at ${j}`);
      }
    }
    await sleep(Math.max(0, staged.retireAt - Date.now()) + 20);
    for (const server of cluster.servers) assert.deepEqual(await kidsOf(server.url), [staged.kid], "the old kid retired");
    await cluster.stop();
  });

  test("3 instances starting at once on an empty database, each with its own --key-file, agree on one key quietly", async () => {
    const ISSUER = "http://127.0.0.1:9";  // one issuer for the three, as behind a proxy
    await pg.psql("CREATE DATABASE keys_race");
    const url = pg.url.replace("@/postgres?", "@/keys_race?");
    const dir = mkdtempSync(join(tmpdir(), "authwasm-keys-race-"));
    const servers = await Promise.all([0, 1, 2].map((i) =>
      startServer({ args: ["--store", url, "--issuer", ISSUER, "--key-file", join(dir, `key-${i}.pem`)] })));
    const kids = await Promise.all(servers.map((s) => kidsOf(s.url)));
    assert.equal(kids[0].length, 1);
    assert.deepEqual(kids, [kids[0], kids[0], kids[0]], "one key for all");
    for (const s of servers) assert.doesNotMatch(s.stderr(), /PostgreSQL|error/i);
    const s = await newSession({ url: servers[0].url, origin: ISSUER });
    for (const other of servers) assert.equal((await getWithBearer(other, "/api/posts", s.accessToken)).status, 200);
    await Promise.all(servers.map((x) => x.stop()));
    rmSync(dir, { recursive: true, force: true });
    await pg.psql("DROP DATABASE keys_race");
  });

  test("an instance that has not reloaded accepts a token of a key staged since (unknown kid: reload)", async () => {
    const cluster = await startCluster({ instances: 2, args: ["--key-reload", "3600"] });
    const staged = await rotate(["--promote-after", "0"]);
    const late = await startServer({ args: ["--store", pg.url, "--issuer", cluster.url, "--quiet"] });
    const s = await newSession(direct(cluster, late));
    assert.equal(jwtHeader(s.accessToken).kid, staged.kid);
    for (const server of cluster.servers) {
      assert.ok(!(await kidsOf(server.url)).includes(staged.kid), "not loaded yet (reload every hour)");
      assert.equal((await getWithBearer(server, "/api/posts", s.accessToken)).status, 200);
      assert.ok((await kidsOf(server.url)).includes(staged.kid), "loaded by the unknown kid");
    }
    // A made-up kid is refused (and costs at most one store read a second).
    const forged = Buffer.from(JSON.stringify({ alg: "ES256", typ: "at+jwt", kid: "made-up" })).toString("base64url") +
      s.accessToken.slice(s.accessToken.indexOf("."));
    assert.equal((await getWithBearer(cluster.servers[0], "/api/posts", forged)).status, 401);
    await late.stop();
    await cluster.stop();
  });
});

describe("the PostgreSQL schema", () => {
  test("a version-2 database is upgraded in place: grace siblings marked, sessions survive", async () => {
    const server = await startServer({ args: ["--store", pg.url] });
    const s = await newSession(server);
    const rotated = await refresh(server, s.refreshToken);
    const sibling = await refresh(server, s.refreshToken);
    assert.equal(rotated.status, 200);
    assert.equal(sibling.status, 200);
    await server.stop({ keepData: true });
    // What the version-2 schema held (kSchemaV2 in server/store_postgres.cpp).
    await pg.psql("DROP INDEX refresh_tokens_rotation; ALTER TABLE refresh_tokens DROP COLUMN sibling;" +
      " DROP TABLE signing_keys, server_secrets, dpop_jti, rate_buckets; UPDATE authwasm_schema SET version = 2");
    const again = await startServer({ args: ["--store", pg.url], dataDir: server.dataDir });
    assert.equal((await refresh(again, refreshCookieOf(sibling))).status, 200, "the session survived");
    await again.stop();
    assert.equal(await pg.psql("SELECT version FROM authwasm_schema"), "3");
    assert.ok(Number(await pg.psql("SELECT count(*) FROM refresh_tokens WHERE sibling")) >= 1, "siblings marked");
    await assert.rejects(pg.psql("INSERT INTO refresh_tokens(hash, sid, user_id, gen, created_at, expires_at)" +
      " SELECT gen_random_uuid()::text::bytea, sid, user_id, gen, 0, 0 FROM refresh_tokens WHERE NOT sibling LIMIT 1"),
      /refresh_tokens_rotation/, "a second rotation of one generation is refused by the schema");
  });

  test("a database of a newer schema is refused at start, not misread", async () => {
    await pg.psql("UPDATE authwasm_schema SET version = 4");
    const dataDir = freshDataDir();
    const { code, stderr } = await runServer(["--port", "0", "--data-dir", dataDir, "--store", pg.url]);
    await pg.psql("UPDATE authwasm_schema SET version = 3");
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 1);
    assert.match(stderr, /database schema version 4 is newer than this server's \(3\)/);
  });
});
