// The package as users get it: `npm pack`, installed into a scratch project, imported by
// name from Node, and bundled by Vite for the browser with no authwasm-specific config.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { launchChromium, watchPageErrors } from "../support/chromium.js";
import { startStaticServer } from "../support/static-server.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
let project, packedFiles;

const consumerScript = `
import { createPkcePair, pkceChallenge, decodeJwt, AuthError } from "authwasm";
const pair = await createPkcePair();
const challenge = await pkceChallenge(pair.verifier);
let code;
try { await decodeJwt("not.a.jwt"); } catch (e) { code = e instanceof AuthError && e.code; }
const result = { verifierLength: pair.verifier.length, matches: challenge === pair.challenge, code };
if (typeof document === "undefined") console.log(JSON.stringify(result));
else { document.body.textContent = JSON.stringify(result); window.result = result; }
`;

before(async () => {
  project = await mkdtemp(join(tmpdir(), "authwasm-consumer-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", project], { cwd: repo });
  const [packed] = JSON.parse(stdout);
  packedFiles = packed.files.map((f) => f.path).sort();
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await run("npm", ["install", "--no-audit", "--no-fund", "--offline", join(project, packed.filename)], { cwd: project });
  await writeFile(join(project, "main.js"), consumerScript);
  await writeFile(join(project, "index.html"),
    '<!doctype html><link rel="icon" href="data:,"><body></body><script type="module" src="/main.js"></script>');
});

after(() => rm(project, { recursive: true, force: true }));

test("the tarball holds the wrapper, its types and the wasm, and nothing else", () => {
  assert.ok(packedFiles.includes("dist/authwasm.wasm"));
  assert.ok(packedFiles.includes("dist/authwasm.js"));
  assert.ok(packedFiles.includes("js/index.js"));
  assert.ok(packedFiles.includes("js/index.d.ts"));
  assert.deepEqual(packedFiles.filter((f) => !/^(js\/|dist\/authwasm(-verify)?\.(js|wasm)$|package\.json$|README\.md$)/.test(f)), []);
});

test("Node imports the installed package by name", async () => {
  const { stdout } = await run("node", ["main.js"], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), { verifierLength: 64, matches: true, code: "invalid_jwt" });
});

test("a Vite build of the consumer finds the wasm with no configuration", async () => {
  const { build } = await import("vite");
  await build({ root: project, logLevel: "error", build: { outDir: "dist-vite" } });
  const assets = await readdir(join(project, "dist-vite", "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `wasm emitted as an asset: ${assets}`);

  const server = await startStaticServer(join(project, "dist-vite"));
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors = watchPageErrors(page);
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.result, null, { timeout: 30000 });
    assert.deepEqual(await page.evaluate(() => window.result), { verifierLength: 64, matches: true, code: "invalid_jwt" });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
