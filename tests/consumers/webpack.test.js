// webpack 5 + webpack-cli with no configuration file: the default entry src/index.js, the
// wasm found by the literal new URL(…, import.meta.url) in js/loader.js and emitted as an asset.
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { loggedInAndFetched, runPage } from "./support/page-run.js";
import { serveBuilt } from "./support/same-origin.js";
import { runBin, scratchApp } from "./support/scratch-app.js";

test("webpack 5 build: login + auth.fetch in Chromium", async () => {
  const app = await scratchApp("webpack");
  const output = await runBin(app, "webpack", ["--mode", "production"]);
  assert.match(output, /compiled successfully/);
  assert.doesNotMatch(output, /WARNING|Critical dependency/);
  const dist = join(app, "dist");
  assert.ok((await readdir(dist)).some((file) => file.endsWith(".wasm")), "the wasm is emitted as an asset");
  await writeFile(join(dist, "index.html"), '<!doctype html><link rel="icon" href="data:,"><script src="/main.js"></script>');

  const { result, errors } = await runPage(await serveBuilt(dist));
  assert.deepEqual(result, loggedInAndFetched);
  assert.deepEqual(errors, []);
});
