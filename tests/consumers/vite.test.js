// Vite 7 and 8, dev server and production build, with no configuration: no optimizeDeps, no
// wasm plugin. Vite 7's dev server serves authwasm pre-bundled from node_modules/.vite/deps/
// (vitejs/vite#8427); js/wasm-loader.js maps the wasm URL back to the package's own file.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { loggedInAndFetched, runPage } from "./support/page-run.js";
import { serveBuilt, serveViteDev } from "./support/same-origin.js";
import { importFromApp, scratchApp } from "./support/scratch-app.js";

// A Vite logger that keeps what it was told, so a test can assert no warning was printed.
function recordingLogger() {
  const said = [];
  const keep = (level) => (message) => said.push(`${level}: ${message}`);
  return {
    said,
    info() {}, warnOnce: keep("warn"), warn: keep("warn"), error: keep("error"),
    clearScreen() {}, hasErrorLogged: () => false, hasWarned: false,
  };
}

for (const toolchain of ["vite7", "vite8"]) {
  const major = toolchain.slice(4);
  let app;
  const viteOfApp = async () => {
    app ??= scratchApp(toolchain);
    return { dir: await app, vite: await importFromApp(await app, "vite") };
  };

  test(`Vite ${major} dev server: login + auth.fetch in Chromium`, async () => {
    const { dir, vite } = await viteOfApp();
    assert.equal(vite.version.split(".")[0], major);
    const { result, errors, requested } = await runPage(await serveViteDev(vite, dir));
    assert.deepEqual(result, loggedInAndFetched);
    assert.deepEqual(errors, []);
    // Pre-bundled, as users get it, and the wasm still comes from the package's own file.
    assert.ok(requested.some((path) => path.startsWith("/node_modules/.vite/deps/")), `pre-bundled: ${requested}`);
    assert.deepEqual(requested.filter((path) => path.endsWith(".wasm")), ["/node_modules/authwasm/dist/authwasm.wasm", "/node_modules/authwasm/dist/authwasm-dpop.wasm"]);
  });

  test(`Vite ${major} build: login + auth.fetch in Chromium`, async () => {
    const { dir, vite } = await viteOfApp();
    const logger = recordingLogger();
    await vite.build({ root: dir, configFile: false, logLevel: "warn", customLogger: logger, build: { outDir: "dist" } });
    assert.deepEqual(logger.said, []);
    const assets = await readdir(join(dir, "dist", "assets"));
    assert.ok(assets.some((file) => file.endsWith(".wasm")), `the wasm is emitted as an asset: ${assets}`);

    const { result, errors } = await runPage(await serveBuilt(join(dir, "dist")));
    assert.deepEqual(result, loggedInAndFetched);
    assert.deepEqual(errors, []);
  });
}
