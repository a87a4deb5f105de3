// The packed package in Firefox: `npm pack`, the tarball unpacked under node_modules/authwasm
// of a plain ESM site that loads it through an import map (no bundler), served by the real
// reference server (same origin as /auth and /api), driven by puppeteer-core over WebDriver
// BiDi (tests/support/browser.js).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startDemoServer } from "../e2e/demo-harness.js";
import { launchBrowser } from "../support/browser.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));

const page = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "authwasm": "/node_modules/authwasm/js/index.js" } }</script>
<script type="module">
  import { createAuthClient, createPkcePair, pkceChallenge } from "authwasm";
  const code = (promise) => promise.then(() => "resolved", (error) => error.code ?? String(error));
  const pair = await createPkcePair();
  const auth = await createAuthClient({ issuer: location.origin, clientId: "authwasm-demo" });
  const before = await code(auth.fetch("/api/posts"));
  const wrongPassword = await code(auth.loginWithPassword("demo", "not the password"));
  const user = await auth.loginWithPassword("demo", "demo-password");
  const response = await auth.fetch("/api/posts");
  const body = await response.json();
  window.result = {
    firefox: navigator.userAgent.includes("Firefox/"),
    verifierLength: pair.verifier.length,
    challengeMatches: (await pkceChallenge(pair.verifier)) === pair.challenge,
    before, wrongPassword, sub: user.sub,
    status: response.status, viewer: body.viewer, posts: body.posts.length,
  };
</script>`;

let site, server, browser;

before(async () => {
  site = await mkdtemp(join(tmpdir(), "authwasm-firefox-site-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", site], { cwd: repo });
  const [packed] = JSON.parse(stdout);
  const installed = join(site, "node_modules", "authwasm");
  await mkdir(installed, { recursive: true });
  await run("tar", ["-xzf", join(site, packed.filename), "-C", installed, "--strip-components=1"]);
  await writeFile(join(site, "index.html"), page);
  server = await startDemoServer(site);
  browser = await launchBrowser("firefox");
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (site) await rm(site, { recursive: true, force: true });
});

test("firefox: the packed package from an import map: a PKCE pair, a password login and auth.fetch against the reference server", async () => {
  const tab = await browser.newPage();
  await tab.goto(`${server.url}/`);
  await tab.waitForFunction(() => window.result, null, { timeout: 30_000 });
  const result = await tab.evaluate(() => window.result);
  assert.deepEqual(result, {
    firefox: true,
    verifierLength: 64,
    challengeMatches: true,
    before: "not_authenticated",
    wrongPassword: "invalid_grant",
    sub: result.sub,
    status: 200,
    viewer: result.sub,
    posts: 3,
  });
  assert.match(result.sub, /\S/);
  assert.deepEqual(tab.errors, []);
});
