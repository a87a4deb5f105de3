// The same case bodies as tests/node/core.test.js, run in headless Chromium on a page that
// imports the package through an import map.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { launchChromium, watchPageErrors } from "../support/chromium.js";
import { startStaticServer } from "../support/static-server.js";
import { cases } from "../shared/core.cases.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let server, browser, results, pageErrors;

before(async () => {
  server = await startStaticServer(root);
  browser = await launchChromium();
  const page = await browser.context.newPage();
  pageErrors = watchPageErrors(page);
  await page.goto(`${server.url}/tests/browser/core.html`);
  await page.waitForFunction(() => window.results, null, { timeout: 30000 });
  results = await page.evaluate(() => window.results);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

for (const name of Object.keys(cases)) {
  test(`chromium: ${name}`, () => assert.equal(results[name], "ok"));
}

test("chromium: no page errors", () => assert.deepEqual(pageErrors, []));
