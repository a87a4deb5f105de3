// The soak (bench/soak.mjs, `npm run soak`) in a short variant that stays cheap enough for
// npm test: 4 Chromium tabs for 45 s behind the fault proxy, the client's default options, a
// fixed seed for the random choices. It exits non-zero when a target is missed (a false logout,
// a reuse detection, a call past its deadline, wasm memory that grew); its figures are printed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const soak = fileURLToPath(new URL("../../bench/soak.mjs", import.meta.url));
let child;
after(() => child?.kill("SIGKILL"));

test("45 s, 4 tabs, random bursts, reloads, reopens, visibility changes and faults: every soak target met", { timeout: 240_000 }, async () => {
  child = spawn(process.execPath, [soak], {
    env: { ...process.env, SOAK_SECONDS: "45", SOAK_TABS: "4", SOAK_SEED: process.env.SOAK_SEED ?? "20240611" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  const line = /^SOAK-RESULT (.*)$/m.exec(output);
  assert.ok(line, `the soak printed no result (exit ${code}):\n${output}`);
  const result = JSON.parse(line[1]);
  assert.deepEqual(result.missed, [], output);
  assert.equal(result.falseLogouts, 0);
  assert.equal(result.totals.refresh_reuse, 0);
  assert.equal(result.lateCalls, 0);
  assert.equal(result.grown, 0);
  assert.equal(code, 0, output);
});
