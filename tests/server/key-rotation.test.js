// Signing keys in the store and their rotation (issue 15; server/README.md "Signing keys and
// rotation") on one SQLite instance: `authwasm-server keys rotate` run next to a live server,
// the JWKS and the tokens' kid at each point (staged, promoted, retired), the client's ID-token
// verifier (authwasm/verify) following the new kid with one JWKS refetch, `keys list`, the
// bootstrap from --key-file, and the command's errors. The 3-instance PostgreSQL case is in
// postgres-cluster.test.js.
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";

import { loadVerifier } from "../../js/verify.js";

import {
  freshDataDir, getWithBearer, jwtHeader, keysCommand, newSession, parseRotation, refresh, refreshCookieOf, sleep,
  startServer, waitUntil,
} from "./server-process.js";

/** The kids of a server's JWKS, in its order. */
async function jwksKids(server) {
  const res = await fetch(server.url + "/.well-known/jwks.json");
  assert.equal(res.status, 200);
  return (await res.json()).keys.map((k) => k.kid);
}

/** Parses `keys list`: [{ kid, created, activate, retire, state }] (ms; retire null when unset). */
function parseList(stdout) {
  return stdout.trim().split("\n").filter(Boolean).map((line) => {
    const m = /^(\S+) created=(\S+) activate=(\S+) retire=(\S+) (staged|signing|verifying|retired)$/.exec(line);
    assert.ok(m, `keys list line: ${line}`);
    return { kid: m[1], created: Date.parse(m[2]), activate: Date.parse(m[3]),
             retire: m[4] === "-" ? null : Date.parse(m[4]), state: m[5] };
  });
}

/** Verifies a JWT against the JWK of `kid` in `jwks` with node:crypto (RFC 7518 §3.4). */
function verifiesWith(jwt, jwk) {
  const [h, p, sig] = jwt.split(".");
  const key = createPublicKey({ key: jwk, format: "jwk" });
  return verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(sig, "base64url"));
}

describe("key rotation on one SQLite instance", () => {
  test("staged: in the JWKS at the next reload, old kid still signs; promoted: new kid signs, old tokens verify; retired: old kid gone", async () => {
    const TTL = 3;
    const server = await startServer({ args: ["--key-reload", "1", "--access-ttl", String(TTL)] });
    const [oldKid] = await jwksKids(server);
    let s = await newSession(server);
    assert.equal(jwtHeader(s.accessToken).kid, oldKid);
    // authwasm/verify, as a client holds it: one JWKS fetch, cached, refetched once on a new kid.
    const verifier = await loadVerifier();
    let jwksFetches = 0;
    const verifyIdToken = (idToken) => verifier.verifyIdToken(idToken, {
      jwksUri: server.url + "/.well-known/jwks.json",
      fetch: (url, init) => { jwksFetches++; return fetch(url, init); },
    });
    assert.equal((await verifyIdToken(s.body.id_token)).kid, oldKid);

    const rotated = await keysCommand(["rotate", "--data-dir", server.dataDir, "--promote-after", "3",
      "--retire-margin", "0", "--access-ttl", String(TTL), "--key-reload", "1"]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const staged = parseRotation(rotated.stdout);
    assert.notEqual(staged.kid, oldKid);
    assert.equal(staged.retireAt - staged.activateAt, TTL * 1000, "retire = activate + access ttl + margin 0");

    // Staged: published within a reload interval, not signing, up to its activation.
    await waitUntil(async () => (await jwksKids(server)).includes(staged.kid), 2500, "the staged kid in the JWKS");
    assert.deepEqual(await jwksKids(server), [oldKid, staged.kid]);
    await sleep(Math.max(0, staged.activateAt - 400 - Date.now()));
    let res = await refresh(server, s.refreshToken);
    assert.equal(res.status, 200);
    const beforePromotion = (await res.json()).access_token;
    assert.ok(Date.now() < staged.activateAt, "the refresh above ran before the promotion (machine too slow?)");
    assert.equal(jwtHeader(beforePromotion).kid, oldKid, "a staged key does not sign");
    s = { ...s, refreshToken: refreshCookieOf(res) };

    // Promoted: new tokens (access and ID) carry the new kid; the old key's last token verifies.
    await sleep(Math.max(0, staged.activateAt - Date.now()) + 20);
    res = await refresh(server, s.refreshToken);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(jwtHeader(body.access_token).kid, staged.kid);
    assert.equal(jwtHeader(body.id_token).kid, staged.kid);
    assert.equal((await verifyIdToken(body.id_token)).kid, staged.kid);
    assert.equal(jwksFetches, 2, "the client's verifier refetched the JWKS once for the new kid");
    const { keys } = await (await fetch(server.url + "/.well-known/jwks.json")).json();
    assert.ok(verifiesWith(body.access_token, keys.find((k) => k.kid === staged.kid)));
    const oldExpiry = JSON.parse(Buffer.from(beforePromotion.split(".")[1], "base64url")).exp * 1000;
    assert.ok(oldExpiry > Date.now() + 500 && oldExpiry <= staged.retireAt, "the old key's last token outlives the promotion, not the key");
    assert.equal((await getWithBearer(server, "/api/posts", beforePromotion)).status, 200, "old key's token after promotion");
    assert.equal((await getWithBearer(server, "/api/posts", body.access_token)).status, 200);
    let listed = parseList((await keysCommand(["list", "--data-dir", server.dataDir])).stdout);
    assert.deepEqual(listed.map((k) => [k.kid, k.state]), [[oldKid, "verifying"], [staged.kid, "signing"]]);
    assert.equal(listed[0].retire, staged.retireAt);
    assert.equal(listed[1].retire, null);

    // Retired: the old kid leaves the JWKS at retire_at, by the server's clock (no reload needed).
    await sleep(Math.max(0, staged.retireAt - Date.now()) + 20);
    assert.deepEqual(await jwksKids(server), [staged.kid]);
    listed = parseList((await keysCommand(["list", "--data-dir", server.dataDir])).stdout);
    assert.deepEqual(listed.map((k) => [k.kid, k.state]), [[oldKid, "retired"], [staged.kid, "signing"]]);
    const after = await refresh(server, refreshCookieOf(res));
    assert.equal(after.status, 200, "the session lives on across the whole rotation");
    const last = await after.json();
    assert.equal(jwtHeader(last.access_token).kid, staged.kid);
    assert.equal((await verifyIdToken(last.id_token)).kid, staged.kid);
    assert.equal(jwksFetches, 2, "and needed no other");
    assert.equal(await server.stop(), 0);
  });

  test("a restart keeps every stored key: a token of the staged key verifies after it", async () => {
    const dataDir = freshDataDir();
    const first = await startServer({ dataDir, args: ["--key-reload", "1"] });
    const rotated = await keysCommand(["rotate", "--data-dir", dataDir, "--promote-after", "0"]);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stderr, /warning: --promote-after 0 is not longer than --key-reload 15/);
    const { kid } = parseRotation(rotated.stdout);
    await waitUntil(async () => jwtHeader((await newSession(first)).accessToken).kid === kid, 3000, "the new key signing");
    const s = await newSession(first);
    assert.equal(await first.stop({ keepData: true }), 0);
    const second = await startServer({ dataDir, args: ["--issuer", first.url] });
    assert.equal((await jwksKids(second)).length, 2);
    assert.equal((await getWithBearer(second, "/api/posts", s.accessToken)).status, 200);
    assert.equal(jwtHeader((await newSession({ ...second, origin: first.url })).accessToken).kid, kid);
    assert.equal(await second.stop(), 0);
  });
});

describe("keys command", () => {
  test("rotate on a store the server never used seeds it from --key-file first; list never prints a private key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "authwasm-keys-"));
    const dataDir = join(dir, "d");
    const empty = await keysCommand(["list", "--data-dir", dataDir]);
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, "");
    assert.match(empty.stderr, /holds no signing key yet/);
    const r = await keysCommand(["rotate", "--data-dir", dataDir, "--promote-after", "600"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "600 s is longer than the default reload: no warning");
    const { kid, activateAt, retireAt } = parseRotation(r.stdout);
    assert.equal(retireAt - activateAt, (900 + 60) * 1000, "default access ttl 900 s + margin 60 s");
    assert.equal(statSync(join(dataDir, "signing-key.pem")).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, "authwasm.sqlite3")).mode & 0o077, 0, "the database holds private keys");
    const list = await keysCommand(["list", "--data-dir", dataDir]);
    assert.equal(list.code, 0);
    assert.doesNotMatch(list.stdout + list.stderr, /PRIVATE|BEGIN/);
    const keys = parseList(list.stdout);
    assert.deepEqual(keys.map((k) => k.state), ["signing", "staged"]);
    assert.deepEqual([keys[0].created, keys[0].activate, keys[0].retire], [0, 0, retireAt], "the seeded file key");
    assert.equal(keys[1].kid, kid);
    // A server started on it signs with the seeded key and publishes both.
    const server = await startServer({ dataDir });
    assert.deepEqual(await jwksKids(server), [keys[0].kid, kid]);
    assert.equal(jwtHeader((await newSession(server)).accessToken).kid, keys[0].kid);
    assert.equal(await server.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  });

  test("a --key-file the store does not hold is ignored, with a note", async () => {
    const dir = mkdtempSync(join(tmpdir(), "authwasm-keys-"));
    const dataDir = join(dir, "d");
    const first = await startServer({ dataDir, args: ["--key-file", join(dir, "a.pem")] });
    const [kid] = await jwksKids(first);
    assert.equal(await first.stop({ keepData: true }), 0);
    const second = await startServer({ dataDir, args: ["--key-file", join(dir, "b.pem")] });
    assert.deepEqual(await jwksKids(second), [kid]);
    assert.equal(await second.stop({ keepData: true }), 0);
    // b.pem did not exist, so it was not created either; a.pem is in the store: no note.
    assert.throws(() => statSync(join(dir, "b.pem")));
    assert.doesNotMatch(second.stderr(), /note:/);
    const third = await startServer({ dataDir, args: ["--key-file", join(dataDir, "..", "a.pem")] });
    assert.doesNotMatch(third.stderr(), /note:/);
    assert.equal(await third.stop({ keepData: true }), 0);
    const other = await keysCommand(["rotate", "--store", `sqlite:${join(dir, "other.sqlite3")}`,
      "--key-file", join(dir, "c.pem"), "--data-dir", dir, "--promote-after", "600"]);
    assert.equal(other.code, 0, other.stderr);
    const fourth = await startServer({ dataDir, args: ["--key-file", join(dir, "c.pem")] });
    assert.match(fourth.stderr(), /note: the key of --key-file .*c\.pem is not in the store/);
    assert.deepEqual(await jwksKids(fourth), [kid]);
    assert.equal(await fourth.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [args, code, message] of [
    [[], 2, /expected rotate or list/],
    [["bogus"], 2, /unknown subcommand "bogus"/],
    [["rotate", "--promote-after", "soon"], 2, /--promote-after: expected an integer/],
    [["list", "--no-such-flag", "1"], 2, /unknown option --no-such-flag/],
    [["list", "--store", "mysql://x"], 2, /--store/],
    [["list", "--store", "postgresql://nobody@/x?host=/nonexistent-authwasm&port=1"], 1, /cannot connect to PostgreSQL/],
  ]) {
    test(`keys ${args.join(" ")} exits ${code} with one line`, async () => {
      const r = await keysCommand(args);
      assert.equal(r.code, code);
      assert.match(r.stderr, /^authwasm-server keys: .+/);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "");
    });
  }
});
