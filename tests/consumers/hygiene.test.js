// Package hygiene, as tools that users and registries run see the package: publint, Are The
// Types Wrong (ESM-only profile; the .wasm asset entries have no types to check), and tsc in a
// consumer project with moduleResolution bundler and node16 against the installed tarball.
import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { repo, run, scratchApp } from "./support/scratch-app.js";

const bin = (name) => join(repo, "node_modules", ".bin", name);

test("publint: all good", async () => {
  const { stdout, stderr } = await run(bin("publint"), ["--strict"], { cwd: repo });
  assert.match(stdout, /All good!/, `${stdout}${stderr}`);
});

test("attw --pack . --profile esm-only (the .wasm entries excluded): no problems", async () => {
  // Exits 1 on a problem the profile counts; the JSON also lists those it ignores (CommonJS
  // consumers and node10 resolution, which an ESM-only package does not serve).
  const { stdout } = await run(bin("attw"), ["--pack", ".", "--profile", "esm-only", "--format", "json",
    "--exclude-entrypoints", "authwasm.wasm", "authwasm-dpop.wasm", "authwasm-verify.wasm"], { cwd: repo, maxBuffer: 64 << 20 });
  const { analysis } = JSON.parse(stdout);
  const ignoredByProfile = new Set(["node10", "node16-cjs"]);
  assert.deepEqual(analysis.problems.filter((problem) => !ignoredByProfile.has(problem.resolutionKind)), []);
  assert.deepEqual(Object.keys(analysis.entrypoints).sort(), [".", "./dpop", "./package.json", "./react", "./verify"]);
});

for (const moduleResolution of ["bundler", "node16"]) {
  test(`tsc (moduleResolution ${moduleResolution}): a consumer of the tarball imports authwasm, authwasm/dpop and authwasm/verify`, async () => {
    const app = await scratchApp(null);
    await cp(join(repo, "tests", "types", "consumer"), app, { recursive: true });
    const { stdout, stderr } = await run(bin("tsc"), ["-p", `tsconfig.${moduleResolution}.json`], { cwd: app })
      .catch((error) => assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`));
    assert.equal(`${stdout}${stderr}`, "");
  });
}
