// A PostgreSQL outage under a running instance (server/README.md "Signing keys and rotation":
// "A reload that fails (database unreachable) keeps the keys it has and says so once on
// stderr; such an instance cannot issue tokens either"): while the database is down the
// instance keeps publishing and verifying with the keys it has, refuses what needs the store
// with an answer (never a hang), and says once that reloads fail; when the database is back,
// it says so once and issues tokens again without a restart.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startPostgres } from "../support/postgres.js";
import { getWithBearer, newSession, refresh, refreshCookieOf, sleep, startServer, waitUntil } from "./server-process.js";

let pg;
let server;
before(async () => { pg = await startPostgres(); });
after(async () => {
  await server?.stop();
  await pg?.stop();
});

const NOT_RELOADED = /signing keys not reloaded/g;
const RELOADED_AGAIN = /signing keys reloaded again/g;
const CANNOT_CONNECT = /cannot connect to PostgreSQL/g;
const REACHABLE_AGAIN = /PostgreSQL reachable again/g;
const count = (re) => (server.stderr().match(re) ?? []).length;
const kids = async () => (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()).keys.map((k) => k.kid);

test("the database goes away for several reloads and comes back: keys kept, answers bounded, one line each way", async () => {
  server = await startServer({ args: ["--store", pg.url, "--key-reload", "1", "--store-pool", "2"] });
  const session = await newSession(server);
  const published = await kids();
  assert.equal(published.length, 1);

  await pg.halt();
  await waitUntil(() => count(NOT_RELOADED) > 0, 5000, "a failed reload reported");
  await sleep(3000); // three more reloads fail meanwhile

  // What needs no store goes on: the JWKS, and an access token it signed before the outage.
  assert.deepEqual(await kids(), published, "the keys it had are still published");
  assert.equal((await getWithBearer(server, "/api/posts", session.accessToken)).status, 200);
  // What needs the store is refused at once, with the typed error of RFC 6749 §5.2's shape.
  const started = performance.now();
  const refused = await refresh(server, session.refreshToken);
  assert.ok(performance.now() - started < 5000, "answered, not left waiting");
  assert.equal(refused.status, 500);
  assert.equal((await refused.json()).error, "server_error");
  assert.equal(count(NOT_RELOADED), 1, `said once, after several failed reloads:\n${server.stderr()}`);
  assert.equal(count(CANNOT_CONNECT), 1, `one line for the outage, not one per attempt:\n${server.stderr()}`);
  assert.equal(count(RELOADED_AGAIN), 0);

  await pg.resume();
  await waitUntil(() => count(RELOADED_AGAIN) === 1, 5000, "the reload after the outage reported");
  // The refused refresh changed nothing: the same refresh token rotates now, and its
  // successor works (no family was revoked by the outage).
  const rotated = await refresh(server, session.refreshToken);
  assert.equal(rotated.status, 200);
  assert.equal((await refresh(server, refreshCookieOf(rotated))).status, 200);
  assert.ok((await newSession(server)).accessToken, "logins work again");
  assert.deepEqual(await kids(), published);
  assert.equal(count(NOT_RELOADED), 1);
  assert.equal(count(RELOADED_AGAIN), 1);
  assert.equal(count(CANNOT_CONNECT), 1);
  assert.equal(count(REACHABLE_AGAIN), 1);
});
