// --store (issue 15): sqlite:PATH names the database (the default stays
// DATA_DIR/authwasm.sqlite3); a store this build cannot open is a configuration error.
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { freshDataDir, newSession, refresh, refreshCookieOf, register, runServer, startServer } from "./server-process.js";

test("--store sqlite:PATH keeps users and sessions in PATH across a restart", async () => {
  const storeDir = freshDataDir();
  const databasePath = join(storeDir, "elsewhere.sqlite3");
  const args = ["--store", `sqlite:${databasePath}`];
  const first = await startServer({ args });
  const session = await newSession(first, await register(first));
  await first.stop({ keepData: true });
  assert.ok(existsSync(databasePath), "the database is at the --store path");
  assert.ok(!existsSync(join(first.dataDir, "authwasm.sqlite3")), "not in the data directory");

  const second = await startServer({ args, dataDir: first.dataDir });
  const res = await refresh(second, session.refreshToken);
  assert.equal(res.status, 200);
  assert.equal(typeof refreshCookieOf(res), "string");
  await second.stop();
  rmSync(storeDir, { recursive: true, force: true });
});

test("--store postgres://… that cannot be reached: exit 1, one line that says where, never the password", async () => {
  const dataDir = freshDataDir();
  const { code, stderr } = await runServer(["--port", "0", "--data-dir", dataDir, "--store",
    "postgresql://authwasm:hunter2@127.0.0.1:1/authwasm"]);
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(code, 1);
  assert.match(stderr, /^authwasm-server: cannot connect to PostgreSQL at postgresql:\/\/authwasm:\*\*\*@127\.0\.0\.1:1\/authwasm: /);
  assert.doesNotMatch(stderr, /hunter2/);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
});

for (const [spec, message] of [
  ["mysql://localhost/x", /expected sqlite:PATH or postgres:\/\/…, got "mysql:\/\/localhost\/x"/],
  ["sqlite:", /needs a path/],
]) {
  test(`--store ${spec} is refused at start (exit 2, one line)`, async () => {
    const dataDir = freshDataDir();
    const { code, stderr } = await runServer(["--port", "0", "--data-dir", dataDir, "--store", spec]);
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 2);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
  });
}
