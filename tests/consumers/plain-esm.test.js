// Plain browser ESM: no toolchain at all. The installed package is served as it is, an import
// map names its entry, and the wasm is found next to js/ by new URL(…, import.meta.url).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { loggedInAndFetched, runPage } from "./support/page-run.js";
import { serveBuilt } from "./support/same-origin.js";
import { repo, scratchApp } from "./support/scratch-app.js";

test("plain ESM + import map: login + auth.fetch in Chromium", async () => {
  const app = await scratchApp(null, { html: "importmap.html" });
  const importMap = /<script type="importmap">\n([^<]*)<\/script>/.exec(await readFile(join(app, "index.html"), "utf8"))[1];
  assert.ok((await readFile(join(repo, "docs", "toolchains.md"), "utf8")).includes(importMap), "docs/toolchains.md shows this import map");

  const { result, errors, requested } = await runPage(await serveBuilt(app));
  assert.deepEqual(result, loggedInAndFetched);
  assert.deepEqual(errors, []);
  assert.deepEqual(requested.filter((path) => path.endsWith(".wasm")), ["/node_modules/authwasm/dist/authwasm.wasm", "/node_modules/authwasm/dist/authwasm-dpop.wasm"]);
});
