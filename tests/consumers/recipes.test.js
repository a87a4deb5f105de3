// esbuild and Rollup do not follow new URL(…, import.meta.url): the recipe of
// docs/toolchains.md (import the exported wasm as a file, pass its URL to init()), run with
// the command lines and the config file exactly as that page shows them.
import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { loggedInAndFetched, runPage } from "./support/page-run.js";
import { serveBuilt } from "./support/same-origin.js";
import { repo, runBin, scratchApp } from "./support/scratch-app.js";

const docs = await readFile(join(repo, "docs", "toolchains.md"), "utf8");
const recipePage = { page: ["recipe-index.js", "flow.js"] };
const esbuildCommand = "esbuild src/index.js --bundle --format=esm --loader:.wasm=file --outdir=dist";

/** Runs `npx <command>` as docs/toolchains.md shows it, in the app. */
function runDocumented(app, command) {
  assert.ok(docs.includes(`npx ${command}\n`), `docs/toolchains.md shows "npx ${command}"`);
  const [bin, ...args] = command.split(" ");
  return runBin(app, bin, args);
}

async function assertBuiltAppWorks(dist, script = '<script type="module" src="/index.js"></script>') {
  assert.ok((await readdir(dist)).some((file) => file.endsWith(".wasm")), "the wasm is emitted as a file");
  await writeFile(join(dist, "index.html"), `<!doctype html><link rel="icon" href="data:,">${script}`);
  const { result, errors } = await runPage(await serveBuilt(dist));
  assert.deepEqual(result, loggedInAndFetched);
  assert.deepEqual(errors, []);
}

test("the documented recipe is the page's code", async () => {
  const page = await readFile(new URL("page/recipe-index.js", import.meta.url), "utf8");
  for (const line of ['import wasmUrl from "authwasm/authwasm.wasm";', "init({ wasmUrl })"]) {
    assert.ok(page.includes(line) && docs.includes(line), `both show ${line}`);
  }
});

test("esbuild (the documented recipe): login + auth.fetch in Chromium", async () => {
  const app = await scratchApp("esbuild", recipePage);
  const output = await runDocumented(app, esbuildCommand);
  assert.doesNotMatch(output, /warning/i);
  await assertBuiltAppWorks(join(app, "dist"));
});

test("esbuild --format=iife (no import.meta at all) with the recipe: login + auth.fetch in Chromium", async () => {
  const app = await scratchApp("esbuild", recipePage);
  await runBin(app, "esbuild", esbuildCommand.replace("--format=esm", "--format=iife").split(" ").slice(1));
  await assertBuiltAppWorks(join(app, "dist"), "<script src=\"/index.js\"></script>");
});

test("esbuild without the recipe: a typed wasm_load_failed that names the URL and points to the recipe", async () => {
  const app = await scratchApp("esbuild");
  await runBin(app, "esbuild", esbuildCommand.split(" ").slice(1));
  await writeFile(join(app, "dist", "index.html"), '<!doctype html><script type="module" src="/index.js"></script>');
  const origin = await serveBuilt(join(app, "dist"));
  const { result } = await runPage(origin);
  assert.equal(result.error?.authError, true);
  assert.equal(result.error.code, "wasm_load_failed");
  assert.ok(result.error.message.includes(`${origin}/dist/authwasm.wasm`), result.error.message);
  assert.match(result.error.message, /init\(\{ wasmUrl \}\) \(docs\/toolchains\.md\)/);
});

test("Rollup (the documented recipe): login + auth.fetch in Chromium", async () => {
  const app = await scratchApp("rollup", recipePage);
  const config = await readFile(join(app, "rollup.config.mjs"), "utf8");
  assert.ok(docs.includes(config), "docs/toolchains.md shows rollup.config.mjs as it is");
  const output = await runDocumented(app, "rollup -c");
  assert.doesNotMatch(output, /\(!\)|warning/i);
  await assertBuiltAppWorks(join(app, "dist"));
});
