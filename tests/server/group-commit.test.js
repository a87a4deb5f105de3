// Group commit in the SQLite store (server/README.md "Performance"): concurrent refreshes of
// distinct sessions share commits, every one of them rotates and persists across a restart; a
// sibling race among them still gives one rotation and grace siblings (one rotation and a
// revoked family with --grace 0); and a server killed with SIGKILL right after it answered
// loses none of the rotations it answered.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { debugStats, newSession, refresh, refreshCookieOf, register, startServer } from "./server-process.js";

const ARGS = ["--debug-stats", "--login-burst", "1000"];

async function sessions(server, n) {
  const user = await register(server);
  const out = [];
  for (let i = 0; i < n; i++) out.push((await newSession(server, user)).refreshToken);
  return out;
}

/** Refreshes every token at once; returns the answers' statuses and new tokens. */
async function refreshAll(server, tokens) {
  const answers = await Promise.all(tokens.map((t) => refresh(server, t)));
  return Promise.all(answers.map(async (res) => {
    await res.arrayBuffer();
    return { status: res.status, token: res.status === 200 ? refreshCookieOf(res) : null };
  }));
}

describe("group commit of refreshes (SQLite)", () => {
  test("concurrent refreshes of distinct sessions share commits, all rotate, and persist across a restart", async () => {
    const first = await startServer({ args: ARGS });
    let tokens = await sessions(first, 24);
    const original = [...tokens];
    const before = await debugStats(first);
    for (let round = 0; round < 6; round++) {
      const answers = await refreshAll(first, tokens);
      assert.deepEqual(answers.map((a) => a.status), tokens.map(() => 200), `round ${round}`);
      tokens = answers.map((a) => a.token);
    }
    const after = await debugStats(first);
    assert.equal(after.refresh_rotated - before.refresh_rotated, 24 * 6, "every refresh is a rotation");
    assert.equal(after.refresh_grace - before.refresh_grace, 0);
    assert.ok(after.store.batches - before.store.batches < 24 * 6,
      `refreshes shared commits (${after.store.batches - before.store.batches} batches for ${24 * 6})`);
    assert.equal(after.store.failed_batches, 0);
    assert.equal(await first.stop({ keepData: true }), 0);

    const second = await startServer({ dataDir: first.dataDir, args: [...ARGS, "--issuer", first.url] });
    const origin = { origin: first.url };
    for (const token of tokens) assert.equal((await refresh(second, token, origin)).status, 200);
    const stats = await debugStats(second);
    assert.equal(stats.refresh_rotated, 24, "the last answered tokens are the current ones after the restart");
    assert.equal(stats.refresh_grace, 0);
    for (const token of original) assert.equal((await refresh(second, token, origin)).status, 401, "and old ones are reuse");
    await second.stop();
  });

  test("a sibling race among other sessions' refreshes: one rotation, the rest grace siblings", async () => {
    const server = await startServer({ args: ARGS });
    const others = await sessions(server, 12);
    const [token] = await sessions(server, 1);
    const before = await debugStats(server);
    const answers = await refreshAll(server, [...Array(8).fill(token), ...others]);
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200));
    const after = await debugStats(server);
    assert.equal(after.refresh_rotated - before.refresh_rotated, 1 + 12);
    assert.equal(after.refresh_grace - before.refresh_grace, 7);
    assert.equal(new Set(answers.slice(0, 8).map((a) => a.token)).size, 8, "each sibling a token of its own");
    await server.stop();
  });

  test("with --grace 0 the same race rotates once and revokes the family; the others are untouched", async () => {
    const server = await startServer({ args: [...ARGS, "--grace", "0"] });
    const others = await sessions(server, 12);
    const [token] = await sessions(server, 1);
    const answers = await refreshAll(server, [...Array(8).fill(token), ...others]);
    const race = answers.slice(0, 8);
    assert.equal(race.filter((a) => a.status === 200).length, 1, "exactly one rotation");
    assert.equal(race.filter((a) => a.status === 401).length, 7);
    const winner = race.find((a) => a.status === 200).token;
    assert.equal((await refresh(server, winner)).status, 401, "the family is revoked");
    for (const a of answers.slice(8)) {
      assert.equal(a.status, 200);
      assert.equal((await refresh(server, a.token)).status, 200, "other sessions go on");
    }
    await server.stop();
  });

  test("SIGKILL right after the answers loses no rotation that was answered", async () => {
    const first = await startServer({ args: ARGS });
    let tokens = await sessions(first, 16);
    for (let round = 0; round < 5; round++) {
      const answers = await refreshAll(first, tokens);
      assert.deepEqual(answers.map((a) => a.status), tokens.map(() => 200));
      tokens = answers.map((a) => a.token);
    }
    first.child.kill("SIGKILL");  // no shutdown, no checkpoint: only what was committed survives
    await first.stop({ keepData: true });

    const second = await startServer({ dataDir: first.dataDir, args: [...ARGS, "--issuer", first.url] });
    for (const token of tokens) assert.equal((await refresh(second, token, { origin: first.url })).status, 200);
    const stats = await debugStats(second);
    assert.equal(stats.refresh_rotated, 16, "each answered token was the current one: its rotation was committed");
    assert.equal(stats.refresh_grace, 0);
    await second.stop();
  });
});
