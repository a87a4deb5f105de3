// A strict Content-Security-Policy (no 'unsafe-eval', no 'unsafe-inline'), sent as a response
// header on a Vite 8 production build of the zero-config page: authwasm needs exactly
// 'wasm-unsafe-eval' in script-src, and without it fails at once with a typed error.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { loggedInAndFetched, runPage } from "./support/page-run.js";
import { serveBuiltWithHeaders } from "./support/same-origin.js";
import { importFromApp, repo, scratchApp } from "./support/scratch-app.js";

const strictPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";
const withoutWasm = "default-src 'self'; script-src 'self'; connect-src 'self'";

let building;
function builtApp() {
  building ??= (async () => {
    const app = await scratchApp("vite8");
    // The other pages' data: favicon is an image default-src 'self' forbids (a console error).
    const html = join(app, "index.html");
    await writeFile(html, (await readFile(html, "utf8")).replace('<link rel="icon" href="data:,">', ""));
    const vite = await importFromApp(app, "vite");
    await vite.build({ root: app, configFile: false, logLevel: "error", build: { outDir: "dist" } });
    return join(app, "dist");
  })();
  return building;
}

test("the README and docs/toolchains.md state the policy", async () => {
  for (const file of ["README.md", "docs/toolchains.md"]) {
    assert.ok((await readFile(join(repo, file), "utf8")).includes(`Content-Security-Policy: ${strictPolicy}`), file);
  }
});

test(`strict CSP (${strictPolicy}): login + auth.fetch in Chromium`, async () => {
  const origin = await serveBuiltWithHeaders(await builtApp(), { "content-security-policy": strictPolicy });
  const { result, errors } = await runPage(origin);
  assert.deepEqual(result, loggedInAndFetched);
  assert.deepEqual(errors, []);
});

test("the same page without 'wasm-unsafe-eval': a typed wasm_load_failed that says what to add, no hang", async () => {
  const origin = await serveBuiltWithHeaders(await builtApp(), { "content-security-policy": withoutWasm });
  const { result } = await runPage(origin);
  assert.equal(result.error?.authError, true);
  assert.equal(result.error.code, "wasm_load_failed");
  assert.match(result.error.message, /^authwasm: could not load http:\/\/127\.0\.0\.1:\d+\/assets\/authwasm-[\w-]+\.wasm: /);
  assert.match(result.error.message, /add 'wasm-unsafe-eval' to script-src$/);
});
